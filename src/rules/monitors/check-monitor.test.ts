import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { RecordingLogger } from '../../base/logger.js';
import type { CheckStatus } from '../../model/check.js';
import type { CheckReportResult } from '../../model/check-report.js';
import type { NotifierAlert } from '../group.js';
import { CheckMonitor, checkAlertId, type CheckMonitorOptions } from './check-monitor.js';
import { fingerprintOf, type MonitorEvent, type MonitorSendReason } from './monitor-alert.js';
import { checkRun } from '../../../test/support/check-report.js';

const MIN = 60_000;

function result(
  status: CheckStatus,
  startedAt: number,
  extra: Partial<CheckReportResult> = {},
): CheckReportResult {
  return checkRun('disk_root', startedAt, {
    status,
    message: `DISK ${status}`,
    duration_ms: 5,
    hard_status: status,
    ...extra,
  });
}

function harness(options: Partial<CheckMonitorOptions> = {}) {
  const clock = new FakeClock();
  const sent: { reason: MonitorSendReason; alerts: readonly NotifierAlert[]; atMs: number }[] = [];
  const events: MonitorEvent[] = [];
  const monitor = new CheckMonitor({
    clock,
    notify: (alerts, reason) => sent.push({ reason, alerts, atMs: clock.now() }),
    history: { record: (e) => events.push(e) },
    ...options,
  });
  /** One check run a minute after the previous one. */
  const feed = async (status: CheckStatus, extra: Partial<CheckReportResult> = {}): Promise<void> => {
    await clock.advance(MIN);
    await monitor.observe('web-1', [result(status, clock.now(), extra)]);
  };
  /** The sends so far as `reason:severity/firing|resolved,…`. */
  const log = (): string[] =>
    sent.map(
      (s) =>
        `${s.reason}:${s.alerts
          .map((a) => `${a.labels.severity}/${Date.parse(a.endsAt) > s.atMs ? 'firing' : 'resolved'}`)
          .join(',')}`,
    );
  return { clock, sent, events, monitor, feed, log };
}

type Step = [CheckStatus, Partial<CheckReportResult>?];

const table: { name: string; options?: Partial<CheckMonitorOptions>; steps: Step[]; want: string[] }[] = [
  {
    name: 'a hard WARNING opens a warning alert and OK resolves it',
    steps: [['OK'], ['WARNING'], ['WARNING'], ['OK']],
    want: ['opened:warning/firing', 'resolved:warning/resolved'],
  },
  {
    name: 'a soft problem (hard status still OK) opens nothing',
    steps: [['CRITICAL', { hard_status: 'OK', attempt: 1 }], ['OK']],
    want: [],
  },
  {
    name: 'the agent hard status decides when the alert opens',
    steps: [
      ['CRITICAL', { hard_status: 'OK', attempt: 1 }],
      ['CRITICAL', { hard_status: 'OK', attempt: 2 }],
      ['CRITICAL', { hard_status: 'CRITICAL', attempt: 3 }],
    ],
    want: ['opened:critical/firing'],
  },
  {
    name: 'results without hard_status count the server default attempts',
    options: { defaultMaxCheckAttempts: 3 },
    steps: [
      ['WARNING', { hard_status: null }],
      ['WARNING', { hard_status: null }],
      ['WARNING', { hard_status: null }],
    ],
    want: ['opened:warning/firing'],
  },
  {
    name: 'a soft recovery before the server default attempts opens nothing',
    options: { defaultMaxCheckAttempts: 2 },
    steps: [
      ['WARNING', { hard_status: null }],
      ['OK', { hard_status: null }],
      ['WARNING', { hard_status: null }],
    ],
    want: [],
  },
  {
    name: 'a level change resolves the old severity and fires the new one',
    steps: [['WARNING'], ['CRITICAL'], ['WARNING'], ['OK']],
    want: [
      'opened:warning/firing',
      'level_changed:warning/resolved,critical/firing',
      'level_changed:critical/resolved,warning/firing',
      'resolved:warning/resolved',
    ],
  },
  {
    name: 'UNKNOWN is a warning by default',
    steps: [['UNKNOWN']],
    want: ['opened:warning/firing'],
  },
  {
    name: 'UNKNOWN as critical',
    options: { unknownAs: 'critical' },
    steps: [['UNKNOWN'], ['WARNING']],
    want: ['opened:critical/firing', 'level_changed:critical/resolved,warning/firing'],
  },
  {
    name: 'UNKNOWN ignored neither opens nor resolves',
    options: { unknownAs: 'ignore' },
    steps: [['UNKNOWN'], ['CRITICAL'], ['UNKNOWN'], ['OK']],
    want: ['opened:critical/firing', 'resolved:critical/resolved'],
  },
  {
    name: 'prevent_alert_auto_close keeps the alert open after OK',
    steps: [
      ['CRITICAL', { prevent_alert_auto_close: true }],
      ['OK', { prevent_alert_auto_close: true }],
    ],
    want: ['opened:critical/firing'],
  },
];

describe('CheckMonitor', () => {
  it.each(table)('$name', async ({ options, steps, want }) => {
    const h = harness(options);
    for (const [status, extra] of steps) await h.feed(status, extra);
    expect(h.log()).toEqual(want);
  });

  it('labels and annotates the alert for Alertmanager routing', async () => {
    const h = harness({ externalURL: 'http://kanshi:9800' });
    await h.feed('CRITICAL', {
      message: 'DISK CRITICAL - free space: / 80 MB',
      long_output: 'more',
      memo: 'ask the DBA',
      labels: { team: 'infra', severity: 'info', instance: 'x', 'bad-name': 'x' },
    });
    const a = h.sent[0]!.alerts[0]!;
    expect(a.labels).toEqual({
      alertname: 'CheckFailed',
      host: 'web-1',
      instance: 'web-1',
      check: 'disk_root',
      severity: 'critical',
      team: 'infra',
    });
    expect(a.annotations).toEqual({
      summary: 'check disk_root on web-1 is CRITICAL',
      status: 'CRITICAL',
      message: 'DISK CRITICAL - free space: / 80 MB',
      long_output: 'more',
      memo: 'ask the DBA',
    });
    expect(a.startsAt).toBe(new Date(h.clock.now()).toISOString());
    expect(Date.parse(a.endsAt)).toBe(h.clock.now() + 4 * MIN);
    expect(a.generatorURL).toBe('http://kanshi:9800/api/kanshi/v1/checks?host=web-1');
    expect(h.events.map((e) => [e.kind, e.fingerprint, e.detail?.monitor_id])).toEqual([
      ['opened', fingerprintOf(a.labels), checkAlertId('web-1', 'disk_root')],
    ]);
  });

  it('ignores a replayed or older result', async () => {
    const h = harness();
    await h.feed('CRITICAL');
    const t = h.clock.now();
    await h.monitor.observe('web-1', [result('OK', t), result('OK', t - MIN)]);
    expect(h.log()).toEqual(['opened:critical/firing']);
  });

  it('records level changes in the timeline', async () => {
    const h = harness();
    await h.feed('WARNING');
    await h.feed('CRITICAL');
    await h.feed('OK');
    expect(h.events.map((e) => [e.kind, e.labels.severity, e.detail?.from, e.detail?.to])).toEqual([
      ['opened', 'warning', undefined, undefined],
      ['level_changed', 'critical', 'warning', 'critical'],
      ['resolved', 'critical', undefined, undefined],
    ]);
  });

  it('re-notifies at the notification interval until acknowledged', async () => {
    const h = harness({ tickMs: MIN });
    await h.feed('CRITICAL', { notification_interval_ms: 10 * MIN });
    const stop = new AbortController();
    const running = h.monitor.run(stop.signal);
    await h.clock.advance(25 * MIN);
    expect(h.sent.filter((s) => s.reason === 'renotify')).toHaveLength(2);
    const [alert] = h.monitor.alerts();
    await h.monitor.acknowledge(alert!.id, 'ops', 'looking');
    await h.clock.advance(30 * MIN);
    expect(h.sent.filter((s) => s.reason === 'renotify')).toHaveLength(2);
    // Keep-alives continue so the pipeline does not expire the acknowledged alert.
    const last = h.sent.at(-1)!;
    expect(last.reason).toBe('refresh');
    expect(Date.parse(last.alerts[0]!.endsAt)).toBeGreaterThan(h.clock.now());
    expect(h.events.map((e) => e.kind)).toEqual(['opened', 'acknowledged']);
    stop.abort();
    await running;
  });

  it('uses the server default notification interval for results without one', async () => {
    const h = harness({ defaultNotificationIntervalMs: 5 * MIN });
    await h.feed('WARNING');
    await h.clock.advance(5 * MIN);
    await h.monitor.tick();
    expect(h.log()).toEqual(['opened:warning/firing', 'renotify:warning/firing']);
  });

  it('refreshes open alerts every resend interval and never renotifies without an interval', async () => {
    const h = harness({ resendIntervalMs: 2 * MIN });
    await h.feed('WARNING');
    await h.monitor.tick();
    await h.clock.advance(2 * MIN);
    await h.monitor.tick();
    expect(h.log()).toEqual(['opened:warning/firing', 'refresh:warning/firing']);
  });

  it('a level change clears the acknowledgement', async () => {
    const h = harness();
    await h.feed('WARNING');
    const id = h.monitor.alerts()[0]!.id;
    await h.monitor.acknowledge(id, 'ops', '');
    await h.feed('CRITICAL');
    expect(h.monitor.get(id)?.acknowledged).toBeNull();
    expect(h.monitor.get(id)?.severity).toBe('critical');
  });

  it('acknowledge and close reject unknown ids and double acknowledgements', async () => {
    const h = harness();
    await expect(h.monitor.acknowledge('0123456789abcdef', 'a', '')).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(h.monitor.close('0123456789abcdef', 'a', '')).rejects.toMatchObject({ code: 'not_found' });
    await h.feed('WARNING');
    const id = h.monitor.alerts()[0]!.id;
    await h.monitor.acknowledge(id, 'alice', '');
    await expect(h.monitor.acknowledge(id, 'bob', '')).rejects.toMatchObject({
      code: 'conflict',
      message: `alert "${id}" is already acknowledged by "alice"`,
    });
  });

  it('a person closes an alert kept open by prevent_alert_auto_close', async () => {
    const h = harness();
    await h.feed('CRITICAL', { prevent_alert_auto_close: true });
    await h.feed('OK', { prevent_alert_auto_close: true });
    const [open] = h.monitor.alerts();
    expect(open).toMatchObject({ status: 'OK', recoveredAtMs: h.clock.now(), preventAutoClose: true });
    await h.monitor.close(open!.id, 'alice', 'fixed the disk');
    expect(h.monitor.alerts()).toEqual([]);
    expect(h.log()).toEqual(['opened:critical/firing', 'closed:critical/resolved']);
    expect(h.events.at(-1)).toMatchObject({
      kind: 'closed',
      detail: { by: 'alice', comment: 'fixed the disk', source: 'check' },
    });
    await h.feed('CRITICAL', { prevent_alert_auto_close: true });
    expect(h.log().at(-1)).toBe('opened:critical/firing');
  });

  it('does not reopen an alert closed while failing until the level changes or the check recovers', async () => {
    const h = harness();
    await h.feed('WARNING');
    await h.monitor.close(h.monitor.alerts()[0]!.id, 'alice', 'known');
    await h.feed('WARNING');
    expect(h.monitor.alerts()).toEqual([]);
    await h.feed('CRITICAL');
    expect(h.monitor.alerts().map((a) => a.severity)).toEqual(['critical']);
    await h.monitor.close(h.monitor.alerts()[0]!.id, 'alice', 'known');
    await h.feed('OK');
    await h.feed('CRITICAL');
    expect(h.log()).toEqual([
      'opened:warning/firing',
      'closed:warning/resolved',
      'opened:critical/firing',
      'closed:critical/resolved',
      'opened:critical/firing',
    ]);
  });

  it('forgetHost closes the host alerts and drops its checks', async () => {
    const h = harness();
    await h.feed('WARNING');
    expect(await h.monitor.forgetHost('web-1', 'alice')).toBe(1);
    expect(await h.monitor.forgetHost('web-1', 'alice')).toBe(0);
    expect(h.log()).toEqual(['opened:warning/firing', 'closed:warning/resolved']);
  });
});

describe('CheckMonitor snapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kanshi-check-monitor-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps open alerts, acknowledgements and soft state across a restart', async () => {
    const file = path.join(dir, 'checks.json');
    const a = harness({ snapshotPath: file, defaultMaxCheckAttempts: 3 });
    await a.feed('CRITICAL');
    const id = a.monitor.alerts()[0]!.id;
    await a.monitor.acknowledge(id, 'alice', 'on it');
    await a.monitor.observe('web-1', [
      result('WARNING', a.clock.now(), { check: 'load', hard_status: null }),
    ]);
    await a.monitor.flush();

    const b = harness({ snapshotPath: file, defaultMaxCheckAttempts: 3 });
    await b.clock.advance(a.clock.now() - b.clock.now());
    expect(await b.monitor.load()).toEqual({ restoredAlerts: 1 });
    expect(b.monitor.alerts()).toEqual(a.monitor.alerts());
    // Everything open is handed over again at the first tick after a restart.
    await b.monitor.tick();
    expect(b.log()).toEqual(['refresh:critical/firing']);
    // The same run again is still a replay; the next OK resolves.
    await b.monitor.observe('web-1', [result('OK', a.clock.now())]);
    expect(b.monitor.alerts()).toHaveLength(1);
    await b.feed('OK');
    expect(b.log().at(-1)).toBe('resolved:critical/resolved');
    // The soft state of `load` continues: attempts 2 and 3 make it hard.
    for (let i = 0; i < 2; i++)
      await b.monitor.observe('web-1', [
        result('WARNING', b.clock.now() + i + 1, { check: 'load', hard_status: null }),
      ]);
    expect(b.monitor.alerts().map((x) => x.check)).toEqual(['load']);
  });

  it.each([
    ['not JSON', '{"version": 1, "tracks": ['],
    ['the wrong shape', '{"version": 1, "tracks": [{"host": 3}], "alerts": []}'],
    ['another version', '{"version": 2}'],
  ])('reports a snapshot that is %s, moves it aside and starts empty', async (_what, text) => {
    const file = path.join(dir, 'checks.json');
    await writeFile(file, text);
    const logger = new RecordingLogger();
    const h = harness({ snapshotPath: file, logger });
    const report = await h.monitor.load();
    expect(report.restoredAlerts).toBe(0);
    expect(report.problem).toContain(file);
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    expect((await readdir(dir)).filter((f) => f.startsWith('checks.json.damaged-'))).toHaveLength(1);
    await h.feed('WARNING');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ version: 1 });
  });

  it('a failed snapshot write is logged, not thrown, on the ingest path', async () => {
    const logger = new RecordingLogger();
    const h = harness({ snapshotPath: path.join(dir, 'missing-dir', 'checks.json'), logger });
    await h.feed('WARNING');
    expect(h.log()).toEqual(['opened:warning/firing']);
    expect(logger.records.map((r) => r.message)).toContain('writing the check monitor snapshot failed');
    await expect(h.monitor.acknowledge(h.monitor.alerts()[0]!.id, 'a', '')).rejects.toMatchObject({
      code: 'io',
    });
  });
});
