import { describe, expect, it } from 'vitest';
import { needsUpdate, NotificationLog, type NotificationLogEntry } from './notification-log.js';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

function entry(firing: string[], resolved: string[], agoMs = 60_000): NotificationLogEntry {
  return { firing: new Set(firing), resolved: new Set(resolved), atMs: NOW - agoMs };
}

describe('needsUpdate', () => {
  const cases: {
    name: string;
    entry: NotificationLogEntry | undefined;
    firing: string[];
    resolved: string[];
    sendResolved?: boolean;
    want: boolean;
  }[] = [
    {
      name: 'first notification with firing alerts',
      entry: undefined,
      firing: ['a'],
      resolved: [],
      want: true,
    },
    {
      name: 'nothing sent and only resolved alerts',
      entry: undefined,
      firing: [],
      resolved: ['a'],
      want: false,
    },
    {
      name: 'same firing set within repeat interval',
      entry: entry(['a', 'b'], []),
      firing: ['a', 'b'],
      resolved: [],
      want: false,
    },
    {
      name: 'fewer firing alerts, no send_resolved',
      entry: entry(['a', 'b'], []),
      firing: ['a'],
      resolved: ['b'],
      sendResolved: false,
      want: false,
    },
    {
      name: 'fewer firing alerts with send_resolved',
      entry: entry(['a', 'b'], []),
      firing: ['a'],
      resolved: ['b'],
      want: true,
    },
    { name: 'a new firing alert', entry: entry(['a'], []), firing: ['a', 'c'], resolved: [], want: true },
    {
      name: 'all resolved after firing, even without send_resolved',
      entry: entry(['a'], []),
      firing: [],
      resolved: ['a'],
      sendResolved: false,
      want: true,
    },
    {
      name: 'all resolved and already told',
      entry: entry([], ['a']),
      firing: [],
      resolved: ['a'],
      want: false,
    },
    {
      name: 'fired and resolved between flushes, never told',
      entry: entry([], ['x']),
      firing: [],
      resolved: ['a'],
      want: false,
    },
    {
      name: 'repeat interval passed',
      entry: entry(['a'], [], 4 * HOUR + 1),
      firing: ['a'],
      resolved: [],
      want: true,
    },
    {
      name: 'repeat interval exactly reached',
      entry: entry(['a'], [], 4 * HOUR),
      firing: ['a'],
      resolved: [],
      want: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.want}`, () => {
      const got = needsUpdate(c.entry, new Set(c.firing), new Set(c.resolved), {
        sendResolved: c.sendResolved ?? true,
        repeatIntervalMs: 4 * HOUR,
        nowMs: NOW,
      });
      expect(got).toBe(c.want);
    });
  }
});

describe('NotificationLog', () => {
  it('keeps entries per group and receiver until their retention ends', () => {
    const log = new NotificationLog(HOUR);
    log.log('{}:{a="1"}', 'ops', entry(['x'], [], 0));
    log.log('{}:{a="1"}', 'dev', entry(['y'], [], 30 * 60_000));
    expect(log.get('{}:{a="1"}', 'ops')?.firing).toEqual(new Set(['x']));
    expect(log.get('{}:{a="1"}', 'none')).toBeUndefined();
    expect(log.gc(NOW + 30 * 60_000)).toBe(1);
    expect(log.get('{}:{a="1"}', 'dev')).toBeUndefined();
    expect(log.size).toBe(1);
  });
});
