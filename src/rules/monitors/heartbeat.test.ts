import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { RecordingLogger } from '../../base/logger.js';
import { labelsFromRecord } from '../../model/labels.js';
import type { NotifierAlert } from '../group.js';
import {
  agentHostsOfSeries,
  HeartbeatMonitor,
  heartbeatAlertId,
  type HeartbeatOptions,
} from './heartbeat.js';
import type { MonitorEvent, MonitorSendReason } from './monitor-alert.js';

const MIN = 60_000;

function harness(options: Partial<HeartbeatOptions> = {}, clock = new FakeClock()) {
  const sent: { reason: MonitorSendReason; alerts: readonly NotifierAlert[]; atMs: number }[] = [];
  const events: MonitorEvent[] = [];
  const hb = new HeartbeatMonitor({
    clock,
    notify: (alerts, reason) => sent.push({ reason, alerts, atMs: clock.now() }),
    history: { record: (e) => events.push(e) },
    tickMs: 15_000,
    ...options,
  });
  const log = (): string[] =>
    sent.map(
      (s) =>
        `${s.reason}:${s.alerts
          .map((a) => `${a.labels.host}/${Date.parse(a.endsAt) > s.atMs ? 'firing' : 'resolved'}`)
          .join(',')}`,
    );
  return { clock, sent, events, hb, log };
}

describe('HeartbeatMonitor', () => {
  // Each step: minutes to advance (ticking every 15 s), then hosts that report.
  const table: { name: string; afterMs?: number; steps: [number, string[]][]; want: string[] }[] = [
    {
      name: 'a host silent for 5 minutes is unreachable until it reports again',
      steps: [
        [0, ['web-1', 'web-2']],
        [4, ['web-2']],
        [1, ['web-2']],
        [2, ['web-1', 'web-2']],
      ],
      want: ['opened:web-1/firing', 'resolved:web-1/resolved'],
    },
    {
      name: 'a host reporting within the window never alerts',
      steps: [
        [4, ['web-1']],
        [4, ['web-1']],
        [4, ['web-1']],
      ],
      want: [],
    },
    {
      name: 'the window is configurable',
      afterMs: 2 * MIN,
      steps: [
        [0, ['web-1']],
        [2, []],
      ],
      want: ['opened:web-1/firing'],
    },
    {
      name: 'hosts going silent together open in one batch',
      steps: [
        [0, ['a', 'b']],
        [6, []],
      ],
      want: ['opened:a/firing,b/firing'],
    },
  ];

  it.each(table)('$name', async ({ afterMs, steps, want }) => {
    const h = harness(afterMs === undefined ? {} : { afterMs });
    const stop = new AbortController();
    const running = h.hb.run(stop.signal);
    for (const [minutes, hosts] of steps) {
      await h.clock.advance(minutes * MIN);
      for (const host of hosts) h.hb.seen(host);
    }
    stop.abort();
    await running;
    expect(h.log().filter((l) => !l.startsWith('refresh'))).toEqual(want);
  });

  it('opens a critical HostUnreachable alert and records its timeline', async () => {
    const h = harness({ externalURL: 'http://kanshi:9800' });
    h.hb.seen('web-1');
    const seenAt = h.clock.now();
    await h.clock.advance(5 * MIN);
    await h.hb.tick();
    const a = h.sent[0]!.alerts[0]!;
    expect(a.labels).toEqual({
      alertname: 'HostUnreachable',
      host: 'web-1',
      instance: 'web-1',
      severity: 'critical',
    });
    expect(a.annotations).toEqual({
      summary: 'host web-1 is unreachable',
      message: `no report from web-1 for 5m or more; last report at ${new Date(seenAt).toISOString()}`,
    });
    expect(h.hb.hosts()).toEqual([{ host: 'web-1', lastSeenMs: seenAt, isUnreachable: true }]);
    expect(h.hb.alerts().map((x) => x.id)).toEqual([heartbeatAlertId('web-1')]);
    h.hb.seen('web-1');
    expect(h.events.map((e) => [e.kind, e.detail?.source])).toEqual([
      ['opened', 'heartbeat'],
      ['resolved', 'heartbeat'],
    ]);
  });

  it('ignores a report time older than the last one', () => {
    const h = harness();
    h.hb.seen('web-1');
    const t = h.clock.now();
    h.hb.seen('web-1', t - 10 * MIN);
    expect(h.hb.hosts()[0]!.lastSeenMs).toBe(t);
  });

  it('forgets a host on purpose and closes its alert', async () => {
    const h = harness();
    h.hb.seen('web-1');
    await h.clock.advance(6 * MIN);
    await h.hb.tick();
    expect(await h.hb.forget('web-1', 'alice')).toBe(true);
    expect(await h.hb.forget('web-1', 'alice')).toBe(false);
    await h.clock.advance(10 * MIN);
    await h.hb.tick();
    expect(h.log()).toEqual(['opened:web-1/firing', 'closed:web-1/resolved']);
    expect(h.events.at(-1)).toMatchObject({ kind: 'closed', detail: { by: 'alice' } });
  });

  it('acknowledges an open alert once', async () => {
    const h = harness();
    h.hb.seen('web-1');
    await h.clock.advance(6 * MIN);
    await h.hb.tick();
    const id = heartbeatAlertId('web-1');
    expect((await h.hb.acknowledge(id, 'alice', 'rebooting')).acknowledged).toEqual({
      by: 'alice',
      comment: 'rebooting',
      atMs: h.clock.now(),
    });
    await expect(h.hb.acknowledge(id, 'bob', '')).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.hb.acknowledge('ffffffffffffffff', 'bob', '')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('keeps open alerts alive with refreshes', async () => {
    const h = harness({ resendIntervalMs: MIN });
    h.hb.seen('web-1');
    await h.clock.advance(5 * MIN);
    await h.hb.tick();
    await h.clock.advance(MIN);
    await h.hb.tick();
    expect(h.log()).toEqual(['opened:web-1/firing', 'refresh:web-1/firing']);
  });
});

describe('HeartbeatMonitor snapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kanshi-heartbeat-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('remembers hosts and open alerts across a restart, with a grace window after the start', async () => {
    const file = path.join(dir, 'heartbeat.json');
    const clock = new FakeClock();
    const a = harness({ snapshotPath: file }, clock);
    a.hb.seen('down');
    a.hb.seen('up');
    await clock.advance(3 * MIN);
    a.hb.seen('up');
    await clock.advance(3 * MIN);
    await a.hb.tick();
    await a.hb.flush();
    expect(a.hb.alerts().map((x) => x.host)).toEqual(['down']);

    // The server is down for an hour; `up` stopped reporting meanwhile too.
    await clock.advance(60 * MIN);
    const b = harness({ snapshotPath: file }, clock);
    expect(await b.hb.load()).toEqual({ restoredAlerts: 1 });
    expect(b.hb.hosts().map((x) => x.host)).toEqual(['down', 'up']);
    await b.hb.tick();
    expect(b.log()).toEqual(['refresh:down/firing']);
    await clock.advance(5 * MIN);
    await b.hb.tick();
    expect(b.log()).toContain('opened:up/firing');
  });

  it('reports a damaged snapshot and starts empty', async () => {
    const file = path.join(dir, 'heartbeat.json');
    await writeFile(file, '{"version":1,"hosts":[{"host":"x"}]}');
    const logger = new RecordingLogger();
    const h = harness({ snapshotPath: file, logger });
    const report = await h.hb.load();
    expect(report.problem).toMatch(/does not hold heartbeat state/);
    expect(h.hb.hosts()).toEqual([]);
    expect((await readdir(dir)).some((f) => f.startsWith('heartbeat.json.damaged-'))).toBe(true);
  });
});

describe('agentHostsOfSeries', () => {
  it.each([
    [{ __name__: 'node_load1', job: 'node', instance: 'web-1' }, ['web-1']],
    [{ __name__: 'kanshi_check_status', job: 'kanshi', instance: 'web-2' }, ['web-2']],
    [{ __name__: 'up', job: 'mysqld', instance: '10.0.0.1:9104' }, []],
    [{ __name__: 'node_load1', job: 'node' }, []],
  ])('%o → %o', (labels, want) => {
    expect([...agentHostsOfSeries([labelsFromRecord(labels)])]).toEqual(want);
  });
});
