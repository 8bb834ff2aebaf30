import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../base/logger.js';
import {
  loadNotificationLog,
  needsUpdate,
  NotificationLog,
  saveNotificationLog,
  type NotificationLogEntry,
} from './notification-log.js';

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

describe('saveNotificationLog / loadNotificationLog', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function tmp(): string {
    const d = mkdtempSync(join(tmpdir(), 'kanshi-nflog-'));
    dirs.push(d);
    return d;
  }

  it('round-trips the entries through a file in a new directory, leaving no temp file', async () => {
    const dir = tmp();
    const file = join(dir, 'notify', 'nflog.json');
    const log = new NotificationLog();
    log.log('{}/{a="b"}:{x="1"}', 'ops', entry(['f1', 'f2'], ['f3'], 0));
    log.log('{}:{}', 'dev', entry([], ['f4'], 5000));
    await saveNotificationLog(file, log);
    const back = await loadNotificationLog(file, new RecordingLogger());
    expect(back.snapshot()).toEqual(log.snapshot());
    expect(back.get('{}/{a="b"}:{x="1"}', 'ops')).toEqual(entry(['f1', 'f2'], ['f3'], 0));
    expect(readdirSync(join(dir, 'notify'))).toEqual(['nflog.json']);
  });

  const bad: { name: string; content: string | undefined; logged: string[] }[] = [
    { name: 'a missing file', content: undefined, logged: [] },
    {
      name: 'a damaged file',
      content: '{"version":1,"entr',
      logged: ['cannot parse the notification log; starting without it'],
    },
    {
      name: 'an unknown version',
      content: '{"version":7,"entries":[]}',
      logged: ['cannot parse the notification log; starting without it'],
    },
  ];
  for (const c of bad) {
    it(`starts empty from ${c.name}`, async () => {
      const file = join(tmp(), 'nflog.json');
      if (c.content !== undefined) writeFileSync(file, c.content);
      const logger = new RecordingLogger();
      expect((await loadNotificationLog(file, logger)).size).toBe(0);
      expect(logger.records.map((r) => r.message)).toEqual(c.logged);
    });
  }

  it('skips malformed entries and keeps the rest', async () => {
    const file = join(tmp(), 'nflog.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        entries: [
          { receiver: 'ops', groupKey: 'k', firing: ['a'], resolved: [], atMs: 5 },
          { receiver: 'ops', groupKey: 'k2', firing: 'a', resolved: [], atMs: 5 },
        ],
      }),
    );
    const log = await loadNotificationLog(file, new RecordingLogger());
    expect(log.size).toBe(1);
    expect(log.get('k', 'ops')?.atMs).toBe(5);
  });
});
