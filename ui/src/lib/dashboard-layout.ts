import type { GridPos } from './dashboard-model.js';

/**
 * The dashboard grid: 24 columns like Grafana's, panel heights in grid rows. Panels are drawn in
 * bands (runs of panels whose rows overlap), each band a block of its own: on a phone a band
 * becomes one column, and in print a band is never cut across pages. Editing moves, resizes,
 * adds and deletes panels, then pushes overlapped panels down and floats everything up as
 * Grafana's vertical compaction does. Pure; positions are never mutated in place.
 */

/** Columns of the grid. */
export const GRID_COLUMNS = 24;

/** One panel placed in a band: its index in the dashboard and its position inside the band. */
export interface BandItem {
  readonly index: number;
  readonly x: number;
  /** Row inside the band (panel y minus the band's top). */
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Panels whose rows overlap, drawn together. */
export interface Band {
  /** First grid row of the band. */
  readonly top: number;
  /** Rows the band spans. */
  readonly height: number;
  /** In reading order: by row, then column. */
  readonly items: readonly BandItem[];
}

function byPosition(a: { y: number; x: number }, b: { y: number; x: number }): number {
  return a.y - b.y || a.x - b.x;
}

/** The panels at `positions` grouped in bands, top to bottom. */
export function layoutBands(positions: readonly GridPos[]): Band[] {
  const order = positions.map((p, index) => ({ ...p, index })).sort(byPosition);
  const bands: Band[] = [];
  let cur: { top: number; bottom: number; items: BandItem[] } | undefined;
  for (const p of order) {
    if (cur && p.y < cur.bottom) {
      cur.bottom = Math.max(cur.bottom, p.y + p.h);
      cur.items.push({ index: p.index, x: p.x, y: p.y - cur.top, w: p.w, h: p.h });
      continue;
    }
    if (cur) bands.push({ top: cur.top, height: cur.bottom - cur.top, items: cur.items });
    cur = { top: p.y, bottom: p.y + p.h, items: [{ index: p.index, x: p.x, y: 0, w: p.w, h: p.h }] };
  }
  if (cur) bands.push({ top: cur.top, height: cur.bottom - cur.top, items: cur.items });
  return bands.map((b) => ({ ...b, items: [...b.items].sort(byPosition) }));
}

/** Whether two positions share a cell. */
export function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function clampPos(p: GridPos): GridPos {
  const w = Math.min(GRID_COLUMNS, Math.max(1, Math.round(p.w)));
  const x = Math.min(GRID_COLUMNS - w, Math.max(0, Math.round(p.x)));
  return { x, y: Math.max(0, Math.round(p.y)), w, h: Math.max(1, Math.round(p.h)) };
}

/** Pushes panels overlapped by `fixed` (and then by those) down below it. */
function pushDown(ps: GridPos[], fixed: number): void {
  const queue = [fixed];
  let guard = ps.length * ps.length + 10;
  while (queue.length > 0 && guard-- > 0) {
    const i = queue.shift() ?? fixed;
    const a = ps[i];
    if (!a) continue;
    ps.forEach((b, j) => {
      if (j === i || j === fixed || !overlaps(a, b)) return;
      ps[j] = { ...b, y: a.y + a.h };
      queue.push(j);
    });
  }
}

/** Floats every panel up as far as it goes without overlapping one above (in reading order). */
export function compact(positions: readonly GridPos[]): GridPos[] {
  const order = positions.map((p, i) => ({ p, i })).sort((a, b) => byPosition(a.p, b.p));
  const placed: GridPos[] = [];
  const out = positions.slice();
  for (const { p, i } of order) {
    let y = p.y;
    while (y > 0 && !placed.some((q) => overlaps({ ...p, y: y - 1 }, q))) y--;
    const next = { ...p, y };
    placed.push(next);
    out[i] = next;
  }
  return out;
}

/** A direction to move a panel in. */
export type MoveDirection = 'left' | 'right' | 'up' | 'down';

function verticalNeighbour(ps: readonly GridPos[], i: number, dir: 'up' | 'down'): number | undefined {
  const p = ps[i];
  if (!p) return undefined;
  let best: number | undefined;
  ps.forEach((q, j) => {
    if (j === i || q.x >= p.x + p.w || p.x >= q.x + q.w) return;
    const isBefore = dir === 'up' ? q.y < p.y : q.y > p.y;
    if (!isBefore) return;
    const b = best === undefined ? undefined : ps[best];
    if (!b || (dir === 'up' ? q.y > b.y : q.y < b.y)) best = j;
  });
  return best;
}

/**
 * Panel `i` moved one column left or right, or swapped with the panel above or below it; the
 * others pushed out of its way and the grid compacted.
 */
export function movePanel(positions: readonly GridPos[], i: number, dir: MoveDirection): GridPos[] {
  const ps = positions.map(clampPos);
  const p = ps[i];
  if (!p) return ps;
  if (dir === 'left' || dir === 'right') {
    ps[i] = clampPos({ ...p, x: p.x + (dir === 'left' ? -1 : 1) });
    pushDown(ps, i);
    return compact(ps);
  }
  const j = verticalNeighbour(ps, i, dir);
  const q = j === undefined ? undefined : ps[j];
  if (j === undefined || !q) return compact(ps);
  // The one that ends up on top takes the other's row; the other goes below it.
  const [top, bottom] = dir === 'up' ? [i, j] : [j, i];
  const upper = ps[top] ?? p;
  ps[top] = { ...upper, y: Math.min(p.y, q.y) };
  pushDown(ps, top);
  ps[bottom] = { ...(ps[bottom] ?? q), y: Math.max(ps[bottom]?.y ?? 0, (ps[top]?.y ?? 0) + upper.h) };
  pushDown(ps, bottom);
  return compact(ps);
}

/** Panel `i` grown or shrunk by `dw` columns and `dh` rows; the others pushed and compacted. */
export function resizePanel(positions: readonly GridPos[], i: number, dw: number, dh: number): GridPos[] {
  const ps = positions.map(clampPos);
  const p = ps[i];
  if (!p) return ps;
  const w = Math.min(GRID_COLUMNS - p.x, Math.max(1, p.w + dw));
  ps[i] = { ...p, w, h: Math.max(1, p.h + dh) };
  pushDown(ps, i);
  return compact(ps);
}

/** Where a new panel `w` × `h` goes: under every panel, at the left. */
export function nextPosition(positions: readonly GridPos[], w = 12, h = 8): GridPos {
  const y = positions.reduce((m, p) => Math.max(m, p.y + p.h), 0);
  return { x: 0, y, w: Math.min(w, GRID_COLUMNS), h };
}

/** The positions without panel `i`, compacted. */
export function removePanel(positions: readonly GridPos[], i: number): GridPos[] {
  return compact(positions.filter((_p, j) => j !== i));
}

/** A block of a printed page: its top and bottom in CSS px of the continuous layout. */
export interface PrintBlock {
  readonly top: number;
  readonly bottom: number;
}

/**
 * How a browser paginates `blocks` that must not be cut (`break-inside: avoid`) on pages
 * `pageHeight` px high: a block that would straddle a page boundary moves to the next page (and
 * everything after it with it); a block taller than a page starts a page and is cut. Returns each
 * block's page (0-based) and its top and bottom after the moves, and the pages `contentHeight`
 * (the whole document) then fills.
 */
export function paginate(
  blocks: readonly PrintBlock[],
  pageHeight: number,
  contentHeight: number,
): { pages: number; placed: { page: number; top: number; bottom: number }[] } {
  let shift = 0;
  const placed = blocks.map((b) => {
    let top = b.top + shift;
    let bottom = b.bottom + shift;
    let page = Math.floor(top / pageHeight);
    if (bottom > (page + 1) * pageHeight && bottom - top <= pageHeight && top > page * pageHeight) {
      const push = (page + 1) * pageHeight - top;
      shift += push;
      top += push;
      bottom += push;
      page++;
    }
    return { page, top, bottom };
  });
  return { pages: Math.max(1, Math.ceil((contentHeight + shift) / pageHeight)), placed };
}
