import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { toWireResult } from '../../src/agent/agent.js';
import { CheckState } from '../../src/checks/check-state.js';
import { CommandCheck } from '../../src/checks/command-check.js';
import type { NotifierAlert } from '../../src/rules/group.js';
import { CheckMonitor } from '../../src/rules/monitors/check-monitor.js';
import type { MonitorSendReason } from '../../src/rules/monitors/monitor-alert.js';
import { monitoredCheckResults, registerMonitorApi } from '../../src/server/api/monitors.js';
import { MemoryCheckResultStore, registerCheckResults } from '../../src/server/ingest/check-results.js';

/**
 * A real Nagios plugin from Debian's monitoring-plugins (check_dummy) run by the agent's check
 * runner and soft/hard state machine, its results posted to the server's check-results route, and
 * the check monitor opening, changing and resolving the alert as the monitor API then shows it.
 */

const CHECK_DUMMY = '/usr/lib/nagios/plugins/check_dummy';
const MIN = 60_000;

describe.skipIf(!existsSync(CHECK_DUMMY))('check monitor over monitoring-plugins', () => {
  it('alerts at the hard status the agent computes, with the plugin output', async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const monitor = new CheckMonitor({
      clock,
      notify: (alerts: readonly NotifierAlert[], reason: MonitorSendReason) => {
        sent.push(`${reason}:${alerts.map((a) => a.labels.severity).join(',')}`);
      },
    });
    const app = Fastify();
    registerCheckResults(app, {
      store: monitoredCheckResults(new MemoryCheckResultStore({ clock }), { checks: monitor }),
    });
    registerMonitorApi(app, { checks: monitor });
    await app.ready();
    const state = new CheckState({ name: 'dummy', intervalMs: MIN, maxCheckAttempts: 3 });

    const steps: { code: number; text: string; want: string | null }[] = [
      { code: 0, text: 'fine', want: null },
      { code: 2, text: 'disk gone', want: null }, // soft 1/3
      { code: 2, text: 'disk gone', want: null }, // soft 2/3
      { code: 2, text: 'disk gone', want: 'critical CRITICAL: disk gone' }, // hard
      { code: 1, text: 'disk low', want: 'warning WARNING: disk low' }, // hard change at once
      { code: 3, text: 'cannot stat', want: 'warning UNKNOWN: cannot stat' }, // unknown_as warning
      { code: 0, text: 'fine', want: null },
    ];
    const seen: (string | null)[] = [];
    for (const step of steps) {
      await clock.advance(MIN);
      const check = new CommandCheck({
        name: 'dummy',
        command: [CHECK_DUMMY, String(step.code), step.text],
        timeoutMs: 10_000,
        now: () => clock.now(),
      });
      const report = state.record(await check.run(AbortSignal.timeout(20_000)));
      const res = await app.inject({
        method: 'POST',
        url: '/api/agent/v1/check-results',
        payload: { host: 'web-1', results: [toWireResult(report, { team: 'infra' })] },
      });
      expect(res.statusCode).toBe(200);
      const { data } = (await app.inject('/api/kanshi/v1/monitors/alerts')).json<{
        data: { severity: string; annotations: Record<string, string> }[];
      }>();
      seen.push(data[0] ? `${data[0].severity} ${data[0].annotations.message}` : null);
    }
    expect(seen).toEqual(steps.map((s) => s.want));
    expect(sent).toEqual(['opened:critical', 'level_changed:critical,warning', 'resolved:warning']);
    await app.close();
  });
});
