import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import { familiesToSamples, StalenessTracker } from './series.js';

const fam = (names: string[]) => [
  {
    name: 'node_filesystem_avail_bytes',
    type: 'gauge' as const,
    help: '',
    samples: names.map((m) => ({
      name: 'node_filesystem_avail_bytes',
      labels: labelsFromRecord({ mountpoint: m }),
      value: 1,
    })),
  },
];

describe('familiesToSamples', () => {
  it('adds __name__ and extra labels without overriding the sample own labels, and the timestamp', () => {
    const samples = familiesToSamples(
      [
        {
          name: 'up',
          type: 'gauge',
          help: '',
          samples: [
            { name: 'up', labels: labelsFromRecord({ instance: 'target:9100' }), value: 1 },
            { name: 'up', labels: [], value: 0, timestampMs: 5 },
          ],
        },
      ],
      [...labelsFromRecord({ instance: 'web1', job: 'node' })],
      1000,
    );
    expect(samples).toEqual([
      { labels: labelsFromRecord({ __name__: 'up', instance: 'target:9100', job: 'node' }), t: 1000, v: 1 },
      { labels: labelsFromRecord({ __name__: 'up', instance: 'web1', job: 'node' }), t: 5, v: 0 },
    ]);
  });
});

describe('StalenessTracker', () => {
  it('marks series stale when they vanish, once', () => {
    const t = new StalenessTracker();
    expect(t.markStale(familiesToSamples(fam(['/', '/boot']), [], 1000), 1000)).toEqual([]);
    const stale = t.markStale(familiesToSamples(fam(['/']), [], 2000), 2000);
    expect(stale).toHaveLength(1);
    expect(stale[0]!.labels).toEqual(
      labelsFromRecord({ __name__: 'node_filesystem_avail_bytes', mountpoint: '/boot' }),
    );
    expect(isStaleNaN(stale[0]!.v)).toBe(true);
    expect(t.markStale(familiesToSamples(fam(['/']), [], 3000), 3000)).toEqual([]);
    expect(t.endAll(4000)).toHaveLength(1);
  });
});
