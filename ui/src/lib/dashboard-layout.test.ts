import { describe, expect, it } from 'vitest';
import type { GridPos } from './dashboard-model.js';
import {
  compact,
  layoutBands,
  movePanel,
  nextPosition,
  overlaps,
  paginate,
  removePanel,
  resizePanel,
} from './dashboard-layout.js';

const g = (x: number, y: number, w: number, h: number): GridPos => ({ x, y, w, h });

function noOverlaps(ps: readonly GridPos[]): boolean {
  return ps.every((a, i) => ps.every((b, j) => i === j || !overlaps(a, b)));
}

describe('layoutBands', () => {
  it.each([
    ['empty', [], []],
    [
      'two side by side, one below',
      [g(12, 0, 12, 8), g(0, 0, 12, 8), g(0, 8, 24, 4)],
      [
        { top: 0, height: 8, items: [1, 0] },
        { top: 8, height: 4, items: [2] },
      ],
    ],
    [
      'a tall panel joins the rows beside it',
      [g(0, 0, 8, 16), g(8, 0, 16, 8), g(8, 8, 16, 8), g(0, 16, 24, 2)],
      [
        { top: 0, height: 16, items: [0, 1, 2] },
        { top: 16, height: 2, items: [3] },
      ],
    ],
    [
      'a gap between rows',
      [g(0, 0, 24, 2), g(0, 5, 24, 2)],
      [
        { top: 0, height: 2, items: [0] },
        { top: 5, height: 2, items: [1] },
      ],
    ],
  ])('%s', (_name, positions, want) => {
    const bands = layoutBands(positions);
    expect(bands.map((b) => ({ top: b.top, height: b.height, items: b.items.map((i) => i.index) }))).toEqual(
      want,
    );
  });
  it('places items relative to their band', () => {
    const [, second] = layoutBands([g(0, 0, 24, 3), g(6, 3, 6, 2), g(0, 4, 6, 2)]);
    expect(second?.items).toEqual([
      { index: 1, x: 6, y: 0, w: 6, h: 2 },
      { index: 2, x: 0, y: 1, w: 6, h: 2 },
    ]);
  });
});

describe('movePanel', () => {
  const grid = [g(0, 0, 12, 8), g(12, 0, 12, 8), g(0, 8, 24, 4)];
  it.each([
    ['right by one column', 0, 'right', [g(1, 0, 12, 8), g(12, 8, 12, 8), g(0, 16, 24, 4)]],
    ['left at the edge stays', 0, 'left', grid],
    ['down swaps with the panel below', 0, 'down', [g(0, 4, 12, 8), g(12, 4, 12, 8), g(0, 0, 24, 4)]],
    ['up swaps with the panel above', 2, 'up', [g(0, 4, 12, 8), g(12, 4, 12, 8), g(0, 0, 24, 4)]],
    ['up at the top stays', 1, 'up', grid],
  ] as const)('%s', (_name, i, dir, want) => {
    const got = movePanel(grid, i, dir);
    expect(got).toEqual(want);
    expect(noOverlaps(got)).toBe(true);
  });
});

describe('resizePanel', () => {
  it('grows a panel and pushes what it covers down', () => {
    const got = resizePanel([g(0, 0, 12, 8), g(12, 0, 12, 8)], 0, 1, 0);
    expect(got).toEqual([g(0, 0, 13, 8), g(12, 8, 12, 8)]);
  });
  it('never goes past the grid or below one cell', () => {
    expect(resizePanel([g(20, 0, 4, 1)], 0, 5, -3)).toEqual([g(20, 0, 4, 1)]);
    expect(resizePanel([g(0, 0, 1, 1)], 0, -1, -1)).toEqual([g(0, 0, 1, 1)]);
  });
});

describe('compact, nextPosition, removePanel', () => {
  it('floats panels up into gaps', () => {
    expect(compact([g(0, 3, 12, 2), g(12, 9, 12, 2), g(0, 20, 24, 1)])).toEqual([
      g(0, 0, 12, 2),
      g(12, 0, 12, 2),
      g(0, 2, 24, 1),
    ]);
  });
  it('puts a new panel under the others', () => {
    expect(nextPosition([g(0, 0, 12, 8), g(12, 0, 12, 10)])).toEqual(g(0, 10, 12, 8));
    expect(nextPosition([], 30, 4)).toEqual(g(0, 0, 24, 4));
  });
  it('closes the hole a deleted panel leaves', () => {
    expect(removePanel([g(0, 0, 24, 4), g(0, 4, 24, 4), g(0, 8, 24, 4)], 1)).toEqual([
      g(0, 0, 24, 4),
      g(0, 4, 24, 4),
    ]);
  });
});

describe('paginate', () => {
  it.each([
    ['everything on one page', [{ top: 0, bottom: 100 }], 1000, 200, 1, [0]],
    [
      'a block across the boundary moves to the next page, and the rest with it',
      [
        { top: 0, bottom: 600 },
        { top: 620, bottom: 1200 },
        { top: 1220, bottom: 1300 },
      ],
      1000,
      1300,
      2,
      [0, 1, 1],
    ],
    ['a block taller than a page is cut where it starts', [{ top: 100, bottom: 2500 }], 1000, 2500, 3, [0]],
  ])('%s', (_name, blocks, pageHeight, content, pages, onPage) => {
    const r = paginate(blocks, pageHeight, content);
    expect(r.pages).toBe(pages);
    expect(r.placed.map((p) => p.page)).toEqual(onPage);
  });
  it('leaves no block that fits on a page straddling a boundary', () => {
    const blocks = Array.from({ length: 20 }, (_, i) => ({ top: i * 310, bottom: i * 310 + 300 }));
    const r = paginate(blocks, 1000, 20 * 310);
    for (const p of r.placed) expect(Math.floor((p.bottom - 1) / 1000)).toBe(p.page);
  });
});
