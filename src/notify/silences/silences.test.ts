import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { writeText } from '../../exposition/write-text.js';
import { FakeClock } from '../../../test/support/fake-clock.js';
import type { MaintenanceWindowSpec } from './maintenance.js';
import type { SilenceMatcher } from './matcher.js';
import { silenceState, Silences, type SilenceInput } from './silences.js';

const H = 3_600_000;
const eq = (name: string, value: string): SilenceMatcher => ({ name, value, isRegex: false, isEqual: true });
const re = (name: string, value: string, isEqual = true): SilenceMatcher => ({
  name,
  value,
  isRegex: true,
  isEqual,
});
/** A silence by `a` without a comment ending at `endsAtMs`; `more` sets the rest. */
const input = (
  matchers: SilenceMatcher[],
  endsAtMs: number,
  more: Partial<Omit<SilenceInput, 'matchers' | 'endsAtMs'>> = {},
): SilenceInput => ({ matchers, endsAtMs, createdBy: 'a', comment: '', ...more });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kanshi-silences-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function open(clock: FakeClock, logger = new RecordingLogger()): Promise<Silences> {
  return Silences.open({ clock, logger, snapshotPath: path.join(dir, 'silences.json') });
}

/**
 * Creates silence `job="api"` (by `a`, ending in an hour, `first` over that) and a minute later
 * sets it again under its id: the same input with `startsAtMs` = its start, `edit(start)` over it.
 */
async function editAfterAMinute(
  edit: (start: number) => Partial<SilenceInput>,
  first: Partial<SilenceInput> = {},
): Promise<{ clock: FakeClock; s: Silences; start: number; id: string; id2: string }> {
  const clock = new FakeClock();
  const s = await open(clock);
  const start = clock.now();
  const id = await s.set(input([eq('job', 'api')], start + H, first));
  await clock.advance(60_000);
  const id2 = await s.set({ ...input([eq('job', 'api')], start + H), id, startsAtMs: start, ...edit(start) });
  return { clock, s, start, id, id2 };
}

describe('Silences', () => {
  it('mutes matching alerts only while active', async () => {
    const clock = new FakeClock();
    const s = await open(clock);
    const now = clock.now();
    const id = await s.set({
      matchers: [eq('alertname', 'DiskFull'), re('instance', 'db-\\d+')],
      startsAtMs: now + H,
      endsAtMs: now + 2 * H,
      createdBy: 'ops',
      comment: 'disk swap',
    });
    const alert = { alertname: 'DiskFull', instance: 'db-12' };
    expect(s.mutes(alert, now)).toEqual({ silencedBy: [], maintenanceBy: [] });
    expect(s.mutes(alert, now + H)).toEqual({ silencedBy: [id], maintenanceBy: [] });
    expect(s.mutes(alert, now + 2 * H)).toEqual({ silencedBy: [id], maintenanceBy: [] });
    expect(s.mutes(alert, now + 2 * H + 1).silencedBy).toEqual([]);
    // Anchored RE2: db-12x does not match db-\d+.
    expect(s.mutes({ alertname: 'DiskFull', instance: 'db-12x' }, now + H).silencedBy).toEqual([]);
    expect(s.mutes({ alertname: 'Other', instance: 'db-12' }, now + H).silencedBy).toEqual([]);
  });

  it('handles the negative operators and absent labels', async () => {
    const clock = new FakeClock();
    const s = await open(clock);
    const id = await s.set(
      input(
        [
          eq('alertname', 'X'),
          { name: 'env', value: 'prod', isRegex: false, isEqual: false },
          re('team', '(?i)DB', false),
        ],
        clock.now() + H,
      ),
    );
    expect(s.mutes({ alertname: 'X' }, clock.now()).silencedBy).toEqual([id]);
    expect(s.mutes({ alertname: 'X', env: 'prod' }, clock.now()).silencedBy).toEqual([]);
    expect(s.mutes({ alertname: 'X', team: 'db' }, clock.now()).silencedBy).toEqual([]);
    expect(s.mutes({ alertname: 'X', team: 'web' }, clock.now()).silencedBy).toEqual([id]);
  });

  const invalid: { name: string; matchers: SilenceMatcher[]; start?: number; end?: number; error: RegExp }[] =
    [
      { name: 'no matchers', matchers: [], error: /^silence invalid: at least one matcher required$/ },
      {
        name: 'all matching empty',
        matchers: [re('job', '.*'), eq('env', '')],
        error: /must not match the empty string/,
      },
      {
        name: 'a bad regex',
        matchers: [re('job', '(')],
        error: /invalid label matcher 0: invalid regular expression "\("/,
      },
      {
        name: 'a bad label name',
        matchers: [eq('job', 'a'), eq('1x', 'a')],
        error: /invalid label matcher 1: invalid label name "1x"/,
      },
      {
        name: 'end before start',
        matchers: [eq('job', 'a')],
        start: 2 * H,
        end: H,
        error: /end time must not be before start time/,
      },
    ];
  for (const c of invalid) {
    it(`rejects a silence with ${c.name}`, async () => {
      const clock = new FakeClock();
      const s = await open(clock);
      await expect(
        s.set({
          matchers: c.matchers,
          startsAtMs: clock.now() + (c.start ?? 0),
          endsAtMs: clock.now() + (c.end ?? H),
          createdBy: 'a',
          comment: 'c',
        }),
      ).rejects.toThrow(c.error);
      expect(s.query()).toEqual([]);
    });
  }

  it('updates an active silence in place when only its end and comment change', async () => {
    const { s, start, id, id2 } = await editAfterAMinute((t) => ({ endsAtMs: t + 3 * H, comment: 'two' }), {
      comment: 'one',
    });
    expect(id2).toBe(id);
    expect(s.get(id)).toMatchObject({ endsAtMs: start + 3 * H, comment: 'two', updatedAtMs: start + 60_000 });
    expect(s.query()).toHaveLength(1);
  });

  it('expires an active silence and creates a new one when its matchers change', async () => {
    const { clock, s, start, id, id2 } = await editAfterAMinute(() => ({ matchers: [eq('job', 'web')] }));
    const now = clock.now();
    expect(id2).not.toBe(id);
    expect(id2).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s.get(id)).toMatchObject({ endsAtMs: now });
    expect(s.get(id2)).toMatchObject({ startsAtMs: now, endsAtMs: start + H });
    await clock.advance(1);
    expect(silenceState(s.get(id)!, clock.now())).toBe('expired');
    expect(s.mutes({ job: 'api' }, clock.now()).silencedBy).toEqual([]);
    expect(s.mutes({ job: 'web' }, clock.now()).silencedBy).toEqual([id2]);
  });

  it('replaces an active silence whose start is moved', async () => {
    const { id, id2 } = await editAfterAMinute((t) => ({ startsAtMs: t + 30_000 }));
    expect(id2).not.toBe(id);
  });

  it('reports an unknown id as not found', async () => {
    const clock = new FakeClock();
    const s = await open(clock);
    await expect(
      s.set({ id: 'nope', matchers: [eq('a', 'b')], endsAtMs: clock.now() + H, createdBy: 'a', comment: '' }),
    ).rejects.toMatchObject({ code: 'not_found', message: 'silence not found' });
    await expect(s.expire('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('expires a pending silence with start and end now, idempotently', async () => {
    const clock = new FakeClock();
    const s = await open(clock);
    const now = clock.now();
    const id = await s.set(input([eq('a', 'b')], now + 2 * H, { startsAtMs: now + H }));
    await s.expire(id);
    expect(s.get(id)).toMatchObject({ startsAtMs: now, endsAtMs: now });
    await clock.advance(1000);
    await s.expire(id);
    expect(s.get(id)).toMatchObject({ endsAtMs: now, updatedAtMs: now });
  });

  it('filters and orders silences as Alertmanager does', async () => {
    const clock = new FakeClock();
    const s = await open(clock);
    const now = clock.now();
    const mk = (m: SilenceMatcher[], start: number, end: number): Promise<string> =>
      s.set({ matchers: m, startsAtMs: now + start, endsAtMs: now + end, createdBy: 'a', comment: '' });
    const expiredA = await mk([eq('job', 'api')], 0, 10 * H);
    const expiredB = await mk([eq('job', 'api')], 0, 10 * H);
    const activeLate = await mk([eq('job', 'api'), eq('env', 'prod')], 0, 5 * H);
    const activeSoon = await mk([eq('job', 'api')], 0, 2 * H);
    const pending = await mk([eq('job', 'api')], 3 * H, 4 * H);
    const other = await mk([re('job', 'api')], 0, 4 * H);
    await s.expire(expiredA);
    await clock.advance(1000);
    await s.expire(expiredB);
    await clock.advance(1000);
    expect(s.query([eq('job', 'api')]).map((x) => x.id)).toEqual([
      activeSoon,
      activeLate,
      pending,
      expiredB,
      expiredA,
    ]);
    expect(s.query([re('job', 'api')]).map((x) => x.id)).toEqual([other]);
    expect(s.query([eq('job', 'api'), eq('env', 'prod')]).map((x) => x.id)).toEqual([activeLate]);
  });

  it('garbage-collects silences expired longer than the retention', async () => {
    const clock = new FakeClock();
    const s = await Silences.open({ clock, retentionMs: 10 * H });
    const keep = await s.set(input([eq('a', 'b')], clock.now() + 20 * H));
    const drop = await s.set(input([eq('a', 'c')], clock.now() + H));
    await clock.advance(11 * H);
    expect(await s.gc()).toBe(0);
    await clock.advance(1);
    expect(await s.gc()).toBe(1);
    expect(s.get(drop)).toBeUndefined();
    expect(s.get(keep)).toBeDefined();
  });

  it('runs the GC on its interval until aborted', async () => {
    const clock = new FakeClock();
    const s = await Silences.open({ clock, retentionMs: H, maintenanceIntervalMs: 15 * 60_000 });
    const id = await s.set(input([eq('a', 'b')], clock.now() + H));
    const ac = new AbortController();
    const running = s.run(ac.signal);
    await clock.advance(2 * H);
    expect(s.get(id)).toBeDefined();
    await clock.advance(15 * 60_000);
    expect(s.get(id)).toBeUndefined();
    ac.abort();
    await running;
  });
});

describe('Silences metrics', () => {
  it('counts silences by state and windows by whether they are in force', async () => {
    const clock = new FakeClock(Date.parse('2026-03-15T03:30:00Z'));
    const registry = new Registry();
    const s = await Silences.open({ clock, registry });
    const now = clock.now();
    await s.set(input([eq('a', 'b')], now + H));
    await s.set(input([eq('a', 'c')], now + 2 * H, { startsAtMs: now + H }));
    await s.putWindow({
      matchers: [eq('env', 'x')],
      recurrence: { kind: 'cron', expression: '0 3 * * *' },
      durationMs: H,
      timeZone: 'UTC',
      createdBy: 'a',
      comment: '',
    });
    const text = writeText(registry.collect());
    expect(text).toContain('kanshi_silences{state="active"} 1\n');
    expect(text).toContain('kanshi_silences{state="pending"} 1\n');
    expect(text).toContain('kanshi_silences{state="expired"} 0\n');
    expect(text).toContain('kanshi_maintenance_windows{state="active"} 1\n');
    expect(text).toContain('kanshi_maintenance_windows{state="inactive"} 0\n');
  });

  it('counts failed snapshot writes and rejects the change with an io error', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const s = await Silences.open({
      clock,
      registry,
      snapshotPath: path.join(dir, 'missing', 'silences.json'),
    });
    await expect(s.set(input([eq('a', 'b')], clock.now() + H))).rejects.toMatchObject({ code: 'io' });
    expect(writeText(registry.collect())).toContain('kanshi_silences_snapshot_failures_total 1\n');
  });
});

describe('Silences maintenance windows', () => {
  const spec: MaintenanceWindowSpec = {
    matchers: [eq('env', 'staging')],
    recurrence: { kind: 'weekly', weekdays: ['sunday'], startTime: '03:00' },
    durationMs: 2 * H,
    timeZone: 'UTC',
    createdBy: 'ops',
    comment: 'weekly patching',
  };

  it('mutes alerts inside a window and names it in both lists', async () => {
    const clock = new FakeClock(Date.parse('2026-03-15T03:30:00Z')); // a Sunday
    const s = await open(clock);
    const w = await s.putWindow(spec);
    const sil = await s.set(input([eq('alertname', 'Down')], clock.now() + H));
    const m = s.mutes({ alertname: 'Down', env: 'staging' }, clock.now());
    expect(m.maintenanceBy).toEqual([w.id]);
    expect([...m.silencedBy].sort()).toEqual([w.id, sil].sort());
    expect(
      s.mutes({ alertname: 'Down', env: 'staging' }, Date.parse('2026-03-15T05:00:00Z')).maintenanceBy,
    ).toEqual([]);
    expect(s.mutes({ env: 'prod' }, clock.now())).toEqual({ silencedBy: [], maintenanceBy: [] });
  });

  it('replaces and deletes windows by id', async () => {
    const clock = new FakeClock(Date.parse('2026-03-15T03:30:00Z'));
    const s = await open(clock);
    const w = await s.putWindow(spec);
    await s.putWindow({ ...spec, durationMs: 10 * 60_000 }, w.id);
    expect(s.getWindow(w.id)?.window.durationMs).toBe(10 * 60_000);
    expect(s.mutes({ env: 'staging' }, clock.now()).maintenanceBy).toEqual([]);
    await expect(s.putWindow(spec, 'nope')).rejects.toMatchObject({ code: 'not_found' });
    await s.deleteWindow(w.id);
    expect(s.listWindows()).toEqual([]);
    await expect(s.deleteWindow(w.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('Silences snapshot', () => {
  it('survives a restart with silences and windows', async () => {
    const clock = new FakeClock(Date.parse('2026-03-15T03:30:00Z'));
    const s = await open(clock);
    const id = await s.set({
      matchers: [re('job', 'a.+')],
      endsAtMs: clock.now() + H,
      createdBy: 'me',
      comment: 'c',
    });
    const w = await s.putWindow({
      matchers: [eq('env', 'staging')],
      recurrence: { kind: 'monthly', weekdaysOfMonth: [{ nth: 3, weekday: 'sunday' }], startTime: '03:00' },
      durationMs: H,
      timeZone: 'UTC',
      validUntilMs: Date.parse('2027-01-01T00:00:00Z'),
      createdBy: 'ops',
      comment: '',
    });
    await s.close();
    const again = await open(clock);
    expect(again.get(id)).toEqual(s.get(id));
    expect(again.listWindows()).toEqual([w]);
    expect(again.mutes({ job: 'api', env: 'staging' }, clock.now())).toEqual({
      silencedBy: [id, w.id].sort(),
      maintenanceBy: [w.id],
    });
    expect(await readdir(dir)).toEqual(['silences.json']);
  });

  it('sets a damaged file aside, logs it and starts empty', async () => {
    const clock = new FakeClock();
    await writeFile(path.join(dir, 'silences.json'), '{"version":1,"silences":[{"id":');
    const logger = new RecordingLogger();
    const s = await open(clock, logger);
    expect(s.query()).toEqual([]);
    expect(logger.records.some((r) => r.level === 'error' && /damaged/.test(r.message))).toBe(true);
    const files = await readdir(dir);
    expect(files).toEqual([`silences.json.damaged-${clock.now()}`]);
    // The store still works and writes a fresh file.
    await s.set(input([eq('a', 'b')], clock.now() + H));
    expect(JSON.parse(await readFile(path.join(dir, 'silences.json'), 'utf8'))).toMatchObject({ version: 1 });
  });

  it('skips malformed entries and keeps the rest', async () => {
    const clock = new FakeClock();
    const good = {
      id: 'f0e1d2c3-0000-4000-8000-000000000001',
      matchers: [eq('a', 'b')],
      startsAtMs: clock.now(),
      endsAtMs: clock.now() + H,
      updatedAtMs: clock.now(),
      createdBy: 'a',
      comment: '',
    };
    await writeFile(
      path.join(dir, 'silences.json'),
      JSON.stringify({
        version: 1,
        silences: [good, { id: 3 }, { ...good, id: 'x', matchers: [re('a', '(')] }],
        maintenanceWindows: [
          {
            id: 'w',
            matchers: [eq('a', 'b')],
            recurrence: { kind: 'yearly' },
            durationMs: 1,
            timeZone: 'UTC',
            createdBy: 'a',
            comment: '',
            updatedAtMs: 0,
          },
        ],
      }),
    );
    const logger = new RecordingLogger();
    const s = await open(clock, logger);
    expect(s.query().map((x) => x.id)).toEqual([good.id]);
    expect(s.listWindows()).toEqual([]);
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(3);
  });
});
