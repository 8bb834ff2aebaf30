import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { Registry } from '../../exposition/registry.js';
import { writeText } from '../../exposition/write-text.js';
import type { NotifierAlert } from '../group.js';
import { monitorsConfig } from './config.js';
import { HOST_UNREACHABLE_INHIBIT_RULE } from './heartbeat.js';
import type { MonitorSendReason } from './monitor-alert.js';
import { Monitors } from './monitors.js';

const MIN = 60_000;

describe('Monitors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kanshi-monitors-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const threshold = { name: 'HighLoad', metric: 'node_load1', operator: '>', warning: 4, critical: 8 };

  function collector() {
    const sent: { reason: MonitorSendReason; alerts: readonly NotifierAlert[] }[] = [];
    const notify = (alerts: readonly NotifierAlert[], reason: MonitorSendReason): void => {
      sent.push({ reason, alerts });
    };
    const log = (): string[] => sent.map((s) => `${s.reason}:${s.alerts[0]!.labels.alertname}`);
    return { notify, log };
  }

  it('builds the monitors from the config and runs their loops', async () => {
    const clock = new FakeClock();
    const c = collector();
    const registry = new Registry();
    const m = await Monitors.open({
      config: monitorsConfig.parse({
        heartbeat: { after: '2m' },
        thresholds: [threshold],
        watchdog: { enabled: true, labels: { team: 'sre' } },
      }),
      clock,
      notify: c.notify,
      registry,
    });
    expect(m.loadProblems).toEqual([]);
    expect(m.thresholds.groups[0]!.rules.map((r) => r.labels.severity)).toEqual(['warning', 'critical']);
    expect(m.inhibitRules).toEqual([...m.thresholds.inhibitRules, HOST_UNREACHABLE_INHIBIT_RULE]);
    expect(m.ruleGroups.map((g) => g.name)).toEqual(['kanshi-thresholds', 'kanshi-watchdog']);
    expect(m.ruleGroups[1]!.rules[0]!.labels).toEqual({ severity: 'none', team: 'sre' });
    const stop = new AbortController();
    const running = m.run(stop.signal);
    m.heartbeat!.seen('web-1');
    await clock.advance(3 * MIN);
    stop.abort();
    await running;
    await m.close();
    expect(c.log()).toEqual(['opened:HostUnreachable', 'refresh:HostUnreachable']);
    const text = writeText(registry.collect());
    expect(text).toContain('kanshi_monitor_open_alerts{severity="critical",source="heartbeat"} 1');
    expect(text).toContain('kanshi_monitor_open_alerts{severity="warning",source="check"} 0');
    expect(text).toContain('kanshi_monitor_known_hosts 1');
  });

  it('keeps the state in stateDir across a restart', async () => {
    const clock = new FakeClock();
    const options = {
      config: monitorsConfig.parse({ heartbeat: { after: '2m' } }),
      stateDir: path.join(dir, 'monitors'),
      clock,
      notify: collector().notify,
    };
    const a = await Monitors.open(options);
    a.heartbeat!.seen('web-1');
    await clock.advance(3 * MIN);
    await a.heartbeat!.tick();
    await a.close();
    expect((await readdir(path.join(dir, 'monitors'))).sort()).toEqual(['checks.json', 'heartbeat.json']);
    const b = await Monitors.open(options);
    expect(b.heartbeat!.alerts().map((x) => x.host)).toEqual(['web-1']);
  });

  it('leaves the heartbeat out when disabled and reports a damaged snapshot without failing', async () => {
    await writeFile(path.join(dir, 'checks.json'), 'not json');
    const m = await Monitors.open({
      config: monitorsConfig.parse({ heartbeat: { enabled: false } }),
      stateDir: dir,
      clock: new FakeClock(),
      notify: () => undefined,
    });
    expect(m.heartbeat).toBeUndefined();
    expect(m.inhibitRules).toEqual([]);
    expect(m.thresholds).toEqual({ groups: [], inhibitRules: [] });
    expect(m.ruleGroups).toEqual([]);
    expect(m.loadProblems).toHaveLength(1);
    expect(m.loadProblems[0]).toContain('is not valid JSON');
  });
});
