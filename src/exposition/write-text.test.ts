import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/labels.js';
import { writeText } from './write-text.js';

describe('writeText', () => {
  it('writes help, type, labels, special values and timestamps', () => {
    const text = writeText([
      {
        name: 'node_load1',
        type: 'gauge',
        help: '1m load average.\nsecond line \\',
        samples: [{ name: 'node_load1', labels: [], value: 0.5 }],
      },
      {
        name: 'kanshi_check_status',
        type: 'info',
        help: '',
        samples: [
          { name: 'kanshi_check_status', labels: labelsFromRecord({ check: 'a"b' }), value: Infinity },
          {
            name: 'kanshi_check_status',
            labels: labelsFromRecord({ check: 'c' }),
            value: NaN,
            timestampMs: 1500,
          },
        ],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP node_load1 1m load average.\\nsecond line \\\\',
        '# TYPE node_load1 gauge',
        'node_load1 0.5',
        '# TYPE kanshi_check_status untyped',
        'kanshi_check_status{check="a\\"b"} +Inf',
        'kanshi_check_status{check="c"} NaN 1500',
        '',
      ].join('\n'),
    );
  });
});
