import { compareLabels, type Labels } from '../../model/labels.js';
import type { Block } from './block.js';

/**
 * Walking several blocks' series in label order (compaction merges them): each label set once,
 * with the blocks that hold it.
 */

/** One label set and where it is: series `id` of `block`, in the order the blocks were given. */
export interface LabelGroup {
  readonly labels: Labels;
  readonly members: readonly { readonly block: Block; readonly id: number }[];
}

/** The series of `blocks` by label set, in label order; lazily, so a caller may read between steps. */
export function* byLabels(blocks: readonly Block[]): Generator<LabelGroup> {
  const cursors = blocks.map((b) => ({ b, ids: b.allPostings(), i: 0 }));
  for (;;) {
    let min: Labels | null = null;
    for (const c of cursors) {
      if (c.i >= c.ids.length) continue;
      const l = c.b.labelsOf(c.ids[c.i]!);
      if (min === null || compareLabels(l, min) < 0) min = l;
    }
    if (min === null) return;
    const members: { block: Block; id: number }[] = [];
    for (const c of cursors) {
      if (c.i >= c.ids.length) continue;
      const id = c.ids[c.i]!;
      if (compareLabels(c.b.labelsOf(id), min) !== 0) continue;
      c.i++;
      members.push({ block: c.b, id });
    }
    yield { labels: min, members };
  }
}
