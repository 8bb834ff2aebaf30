import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import { Head } from './head.js';
import { brokenLabelLimit, labelLimitMessage, type LabelLimits } from './label-limits.js';

const limits: LabelLimits = { labelLimit: 3, labelNameLengthLimit: 8, labelValueLengthLimit: 4 };

describe('label limits', () => {
  it.each([
    ['within every limit', { __name__: 'up', job: 'node' }, null, null],
    [
      'too many labels',
      { __name__: 'up', a: '1', b: '2', c: '3' },
      'label_limit',
      'label_limit exceeded (metric: up, number of labels: 4, limit: 3)',
    ],
    [
      'a long name',
      { __name__: 'up', longer_name: '1' },
      'label_name_length_limit',
      'label_name_length_limit exceeded (metric: up, label name: longer_name, length: 11, limit: 8)',
    ],
    [
      'a long value',
      { __name__: 'up', job: 'nodes' },
      'label_value_length_limit',
      'label_value_length_limit exceeded (metric: up, label name: job, value: "nodes", length: 5, limit: 4)',
    ],
  ])('%s', (_name, record, broken, message) => {
    const labels = labelsFromRecord(record);
    expect(brokenLabelLimit(labels, limits)).toBe(broken);
    expect(labelLimitMessage(labels, limits)).toBe(message);
  });

  it('treats 0 as no limit', () => {
    const none: LabelLimits = { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 };
    expect(
      brokenLabelLimit(labelsFromRecord({ __name__: 'x'.repeat(500), ['y'.repeat(300)]: 'z' }), none),
    ).toBe(null);
  });

  it('makes the head reject a new series over a limit with limit, count it, and keep taking others', async () => {
    const head = new Head({ oooWindowMs: 0, labelLimits: limits });
    const app = head.appender();
    expect(app.append(labelsFromRecord({ __name__: 'up', job: 'nodes' }), 1000, 1)).toBe('limit');
    expect(app.append(labelsFromRecord({ __name__: 'up', a: '1', b: '2', c: '3' }), 1000, 1)).toBe('limit');
    expect(app.append(labelsFromRecord({ __name__: 'up', job: 'node' }), 1000, 1)).toBeNull();
    await app.commit();
    expect(head.numSeries).toBe(1);
    expect(head.counters.rejected.limit).toBe(2);
    expect(head.counters.labelLimits).toEqual({
      label_limit: 1,
      label_name_length_limit: 0,
      label_value_length_limit: 1,
    });
  });
});
