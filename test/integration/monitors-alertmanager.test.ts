import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALERTMANAGER_BINARY,
  startAlertmanager,
  type AlertmanagerPeer,
} from '../support/alertmanager-peer.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { Engine, queryFnFor } from '../../src/promql/index.js';
import { RuleGroup, type NotifierAlert } from '../../src/rules/group.js';
import { CheckMonitor } from '../../src/rules/monitors/check-monitor.js';
import { HeartbeatMonitor, HOST_UNREACHABLE_INHIBIT_RULE } from '../../src/rules/monitors/heartbeat.js';
import { fingerprintOf } from '../../src/rules/monitors/monitor-alert.js';
import { compileThresholds, thresholdMonitorSchema } from '../../src/rules/monitors/threshold.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { checkRun } from '../support/check-report.js';

/**
 * The alerts monitors produce, posted to Debian's prometheus-alertmanager (0.25) through its API v2,
 * are accepted as they are; Alertmanager computes the same fingerprints; and the inhibit rules
 * docs/monitors.md documents work there: a threshold monitor's critical alert mutes its warning,
 * and HostUnreachable mutes the other alerts of the same instance.
 */

const ALERTMANAGER = ALERTMANAGER_BINARY;

interface AmAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

describe.skipIf(!existsSync(ALERTMANAGER))('monitor alerts in Alertmanager', () => {
  let dir: string;
  let peer: AlertmanagerPeer | undefined;
  let url: string;

  const threshold = thresholdMonitorSchema.parse({
    name: 'RootDiskFree',
    metric: 'node_filesystem_avail_bytes{mountpoint="/"}',
    percent_of: 'node_filesystem_size_bytes{mountpoint="/"}',
    operator: '<',
    warning: 20,
    critical: 10,
  });
  const compiled = compileThresholds([threshold], { intervalMs: 60_000 });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kanshi-am-'));
    const config = {
      route: { receiver: 'null', group_wait: '1h', group_by: ['alertname'] },
      receivers: [{ name: 'null' }],
      inhibit_rules: [...compiled.inhibitRules, HOST_UNREACHABLE_INHIBIT_RULE],
    };
    await writeFile(path.join(dir, 'alertmanager.yml'), stringify(config));
    peer = await startAlertmanager(path.join(dir, 'alertmanager.yml'), path.join(dir, 'data'));
    url = peer.url;
  });

  afterAll(async () => {
    await peer?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function post(alerts: readonly NotifierAlert[]): Promise<void> {
    const res = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect({ status: res.status, body: await res.text() }).toMatchObject({ status: 200 });
  }

  async function alerts(): Promise<AmAlert[]> {
    const res = await fetch(`${url}/api/v2/alerts`);
    return (await res.json()) as AmAlert[];
  }

  it('takes check, heartbeat and threshold alerts and applies the documented inhibit rules', async () => {
    const clock = new FakeClock(Date.now());
    const produced: NotifierAlert[] = [];
    const collect = (a: readonly NotifierAlert[]): void => {
      produced.push(...a);
    };

    // Check alerts: web-1 (about to go silent) and web-2.
    const checks = new CheckMonitor({ clock, notify: collect });
    const run = (check: string, status: 'WARNING' | 'CRITICAL', t: number) =>
      checkRun(check, t, {
        status,
        duration_ms: 1,
        hard_status: status,
        memo: 'call the DBA',
        labels: { team: 'infra' },
      });
    await checks.observe('web-1', [run('disk', 'CRITICAL', clock.now())]);
    await checks.observe('web-2', [run('disk', 'WARNING', clock.now())]);

    // Heartbeat: web-1 silent for 5 minutes, web-2 reporting.
    const heartbeat = new HeartbeatMonitor({ clock, notify: collect });
    heartbeat.seen('web-1');
    heartbeat.seen('web-2');
    await clock.advance(4 * 60_000);
    heartbeat.seen('web-2');
    await clock.advance(60_000);
    await heartbeat.tick();

    // Threshold rules evaluated over a disk at 5 % on web-3 (both levels) and 15 % on web-2.
    const store = new MemoryStorage();
    const app = store.appender();
    for (const [instance, avail] of [
      ['web-3', 5],
      ['web-2', 15],
    ] as const) {
      const l = { instance, job: 'node', mountpoint: '/' };
      app.append(labelsFromRecord({ __name__: 'node_filesystem_avail_bytes', ...l }), clock.now(), avail);
      app.append(labelsFromRecord({ __name__: 'node_filesystem_size_bytes', ...l }), clock.now(), 100);
    }
    await app.commit();
    const group = new RuleGroup(compiled.groups[0]!, {
      queryFn: queryFnFor(new Engine(store)),
      appendable: store,
      clock,
      restoreForState: false,
      notify: (_expr, a) => collect(a),
    });
    await group.evaluate(clock.now());

    await post(produced);

    const want: Record<string, string> = {
      'CheckFailed/web-1/critical': 'suppressed', // HostUnreachable web-1
      'CheckFailed/web-2/warning': 'active',
      'HostUnreachable/web-1/critical': 'active',
      'RootDiskFree/web-3/critical': 'active',
      'RootDiskFree/web-3/warning': 'suppressed', // its critical
      'RootDiskFree/web-2/warning': 'active',
    };
    const key = (a: { labels: Record<string, string> }): string =>
      `${a.labels.alertname}/${a.labels.instance}/${a.labels.severity}`;
    // Alertmanager evaluates inhibitions as alerts reach its inhibitor: poll until it settles.
    let got: AmAlert[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      got = await alerts();
      const states = Object.fromEntries(got.map((a) => [key(a), a.status.state]));
      if (JSON.stringify(states, Object.keys(want).sort()) === JSON.stringify(want, Object.keys(want).sort()))
        break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(Object.fromEntries(got.map((a) => [key(a), a.status.state]))).toEqual(want);
    for (const a of got) expect(a.fingerprint).toBe(fingerprintOf(a.labels));
    const check = got.find((a) => key(a) === 'CheckFailed/web-2/warning')!;
    expect(check.labels).toEqual({
      alertname: 'CheckFailed',
      host: 'web-2',
      instance: 'web-2',
      check: 'disk',
      severity: 'warning',
      team: 'infra',
    });
    expect(check.annotations).toMatchObject({ message: 'disk WARNING', memo: 'call the DBA' });
  });
});
