import { describe, expect, it } from 'vitest';
import {
  formatDurationMs,
  formatMatcher,
  formatRatio,
  groupPending,
  groupTitle,
  matchersFromLabels,
  parseDurationMs,
  sortSilences,
  type RuleAlert,
} from './alerts.js';

const fmt = (n: number, o: Intl.NumberFormatOptions): string => new Intl.NumberFormat('en-US', o).format(n);

describe('matchersFromLabels', () => {
  it('makes one equality matcher per label, alertname first, empty values left out', () => {
    const got = matchersFromLabels({
      severity: 'critical',
      instance: 'web-1:9100',
      alertname: 'Down',
      x: '',
    });
    expect(got.map(formatMatcher)).toEqual([
      'alertname="Down"',
      'instance="web-1:9100"',
      'severity="critical"',
    ]);
    expect(got.every((m) => m.isEqual && !m.isRegex)).toBe(true);
  });

  it('quotes values with quotes and backslashes', () => {
    expect(matchersFromLabels({ path: 'C:\\ "x"' }).map(formatMatcher)).toEqual(['path="C:\\\\ \\"x\\""']);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['2h', 7_200_000],
    ['30m', 1_800_000],
    ['1d12h', 129_600_000],
    ['1w', 604_800_000],
    [' 90s ', 90_000],
    ['1h30m', 5_400_000],
    ['', undefined],
    ['0h', undefined],
    ['2', undefined],
    ['h', undefined],
    ['30m1h', undefined],
    ['1h1h', undefined],
    ['1.5h', undefined],
    ['2h x', undefined],
    ['-1h', undefined],
  ])('%j → %j', (text, want) => {
    expect(parseDurationMs(text)).toBe(want);
  });

  it('round-trips formatDurationMs', () => {
    for (const ms of [1000, 60_000, 5_400_000, 129_600_000, 8 * 86_400_000 + 1000]) {
      expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
    }
    expect(formatDurationMs(0)).toBe('0s');
  });
});

describe('groupPending', () => {
  const a = (name: string, state: RuleAlert['state'], activeAt: string, host = 'h'): RuleAlert => ({
    labels: { alertname: name, host },
    annotations: {},
    state,
    activeAt,
  });

  it('keeps pending alerts only, grouped by alertname, oldest first', () => {
    const got = groupPending([
      a('Load', 'pending', '2026-01-01T00:00:05Z', 'b'),
      a('Disk', 'firing', '2026-01-01T00:00:00Z'),
      a('Load', 'pending', '2026-01-01T00:00:01Z', 'a'),
      a('Cpu', 'pending', '2026-01-01T00:00:09Z'),
    ]);
    expect(got.map((g) => [g.alertname, g.alerts.map((x) => x.labels.host)])).toEqual([
      ['Cpu', ['h']],
      ['Load', ['a', 'b']],
    ]);
  });

  it('is empty without pending alerts', () => {
    expect(groupPending([a('Disk', 'firing', 'x')])).toEqual([]);
  });
});

describe('groupTitle', () => {
  it('lists the group labels quoted, empty for the single group of all alerts', () => {
    expect(groupTitle({ alertname: 'Down', job: 'node' })).toBe('alertname="Down", job="node"');
    expect(groupTitle({})).toBe('');
  });
});

describe('sortSilences', () => {
  it('lists active, then pending, then expired, latest end first', () => {
    const s = (id: string, state: 'active' | 'pending' | 'expired', endsAt: string) => ({
      id,
      status: { state },
      endsAt,
    });
    const got = sortSilences([
      s('e1', 'expired', '2026-01-01T00:00:00Z'),
      s('p', 'pending', '2026-01-03T00:00:00Z'),
      s('a1', 'active', '2026-01-02T00:00:00Z'),
      s('a2', 'active', '2026-01-05T00:00:00Z'),
      s('e2', 'expired', '2026-01-02T00:00:00Z'),
    ]);
    expect(got.map((x) => x.id)).toEqual(['a2', 'a1', 'p', 'e2', 'e1']);
  });
});

describe('formatRatio', () => {
  it.each([
    [1, '100.00 %'],
    [0.99999, '99.99 %'],
    [0.5, '50.00 %'],
    [0, '0.00 %'],
    [null, '–'],
    [Number.NaN, '–'],
  ])('%j → %j', (ratio, want) => {
    expect(formatRatio(ratio, fmt)).toBe(want);
  });
});
