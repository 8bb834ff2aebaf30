import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { nullLogger } from '../base/logger.js';
import type { NotifierAlert } from '../rules/group.js';
import { serverConfig, serverGlobalSchema } from './config/schema.js';
import { startServer, type KanshiServer } from './server.js';

/**
 * Rules inside a real server on a temporary data folder, time driven by a fake clock: the API
 * shapes, reload (keeping unchanged alerts, refusing a bad file), and a restart while alerts are
 * pending and firing whose `for` timers continue from ALERTS_FOR_STATE.
 */

const RULES = `groups:
  - name: g
    interval: 1m
    rules:
      - record: job:one
        expr: vector(1)
        labels: { source: rule }
      - alert: LongPending
        expr: vector(1)
        for: 1h
        labels: { severity: page }
        annotations: { summary: "value {{ $value }}" }
      - alert: Firing
        expr: vector(2)
        for: 15m
`;

/** A time as Prometheus's API prints it (Go's RFC 3339 with trailing zeros of the fraction dropped). */
function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

interface AlertJson {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

describe('startServer with rule_files', () => {
  let dir: string;
  let clock: FakeClock;
  const servers: KanshiServer[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-rules-server-'));
    // A whole minute, so evaluation instants are easy to reason about.
    clock = new FakeClock(1_700_000_040_000);
    await writeFile(path.join(dir, 'rules.yml'), RULES);
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (
    notify?: (expr: string, alerts: readonly NotifierAlert[]) => void,
    watchConfig = false,
  ) => {
    const server = await startServer({
      config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data', watch_config: watchConfig }),
      logger: nullLogger,
      clock,
      baseDir: dir,
      global: serverGlobalSchema.parse({ evaluation_interval: '1m' }),
      ruleFiles: ['*.yml'],
      ...(notify ? { notify } : {}),
    });
    servers.push(server);
    return server;
  };

  /** Advances one minute and waits (real time) until every group has evaluated at the new instant. */
  const step = async (server: KanshiServer, minutes = 1): Promise<void> => {
    for (let i = 0; i < minutes; i++) {
      await clock.advance(60_000);
      // Real time bounds the wait (generous: CI runs many test files at once on few cores); a group that
      // never evaluates fails here rather than as a confusing state mismatch later.
      const deadline = Date.now() + 30_000;
      while (!server.rules.groups.every((g) => g.lastEvalMs === g.evalTimestamp(clock.now()))) {
        if (Date.now() > deadline) throw new Error(`rule groups did not evaluate at ${clock.now()}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  };

  const alerts = async (server: KanshiServer): Promise<Record<string, AlertJson>> => {
    const body = (await (await fetch(`${server.url}/api/v1/alerts`)).json()) as {
      data: { alerts: AlertJson[] };
    };
    return Object.fromEntries(body.data.alerts.map((a) => [a.labels.alertname ?? '', a]));
  };

  it('evaluates rule files, serves /api/v1/rules and /api/v1/alerts, and writes the recording rule', async () => {
    const server = await start();
    await step(server, 2);
    const first = server.rules.groups[0]!;
    const body = (await (await fetch(`${server.url}/api/v1/rules`)).json()) as {
      status: string;
      data: { groups: { name: string; file: string; interval: number; rules: Record<string, unknown>[] }[] };
    };
    expect(body.status).toBe('success');
    expect(body.data.groups).toHaveLength(1);
    const g = body.data.groups[0]!;
    expect(g).toMatchObject({ name: 'g', file: path.join(dir, 'rules.yml'), interval: 60, limit: 0 });
    expect(g.rules.map((r) => [r.name, r.type, r.health, r.state])).toEqual([
      ['job:one', 'recording', 'ok', undefined],
      ['LongPending', 'alerting', 'ok', 'pending'],
      ['Firing', 'alerting', 'ok', 'pending'],
    ]);
    expect(g.rules[1]).toMatchObject({
      query: 'vector(1)',
      duration: 3600,
      keepFiringFor: 0,
      labels: { severity: 'page' },
      annotations: { summary: 'value {{ $value }}' },
      alerts: [
        {
          labels: { alertname: 'LongPending', severity: 'page' },
          annotations: { summary: 'value 1' },
          state: 'pending',
          value: '1e+00',
        },
      ],
    });
    const onlyRecord = (await (await fetch(`${server.url}/api/v1/rules?type=record`)).json()) as typeof body;
    expect(onlyRecord.data.groups[0]!.rules.map((r) => r.name)).toEqual(['job:one']);
    const none = (await (await fetch(`${server.url}/api/v1/rules?rule_group[]=other`)).json()) as typeof body;
    expect(none.data.groups).toEqual([]);
    const byName = (await (
      await fetch(
        `${server.url}/api/v1/rules?rule_name[]=Firing&exclude_alerts=true&file[]=${encodeURIComponent(path.join(dir, 'rules.yml'))}`,
      )
    ).json()) as typeof body;
    expect(byName.data.groups[0]!.rules.map((r) => [r.name, r.alerts])).toEqual([['Firing', null]]);
    const bad = await fetch(`${server.url}/api/v1/rules?type=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });

    const q = await fetch(`${server.url}/api/v1/query?query=job:one&time=${first.lastEvalMs! / 1000}`);
    expect(await q.json()).toMatchObject({
      data: {
        result: [{ metric: { __name__: 'job:one', source: 'rule' }, value: [first.lastEvalMs! / 1000, '1'] }],
      },
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^kanshi_rule_evaluations_total\{rule_group=".*;g"\} 6$/m);
    expect(metrics).toMatch(/^kanshi_config_last_reload_successful 1$/m);
  });

  it('reloads a changed rule file keeping unchanged alerts, and keeps the old rules when a file is bad', async () => {
    const server = await start();
    await step(server, 3);
    const before = await alerts(server);
    await writeFile(
      path.join(dir, 'rules.yml'),
      RULES.replace('expr: vector(2)', 'expr: vector(3)'), // Firing changes, LongPending does not
    );
    const ok = await fetch(`${server.url}/-/reload`, { method: 'POST' });
    expect(ok.status).toBe(200);
    await step(server);
    const after = await alerts(server);
    expect(after.LongPending!.activeAt).toBe(before.LongPending!.activeAt);
    expect(after.Firing!.activeAt).not.toBe(before.Firing!.activeAt);

    await writeFile(
      path.join(dir, 'broken.yml'),
      'groups:\n  - name: b\n    rules:\n      - alert: X\n        expr: "sum("\n',
    );
    const failed = await fetch(`${server.url}/-/reload`, { method: 'PUT' });
    expect(failed.status).toBe(500);
    expect(await failed.text()).toMatch(
      /^failed to reload config: load rule files: .*broken\.yml.*could not parse expression/,
    );
    await expect(server.reload()).rejects.toThrow(/broken\.yml/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^kanshi_config_last_reload_successful 0$/m);
    expect(server.rules.groups.map((g) => g.config.name)).toEqual(['g']);
    await step(server);
    expect((await alerts(server)).LongPending!.activeAt).toBe(before.LongPending!.activeAt);
  });

  it('continues for timers after a restart: pending stays pending with the downtime added, firing fires again at once', async () => {
    const sent: NotifierAlert[] = [];
    const first = await start((_expr, a) => sent.push(...a));
    await step(first, 20);
    const e1 = first.rules.groups[0]!.lastEvalMs! - 19 * 60_000; // the first evaluation
    const lastBeforeStop = first.rules.groups[0]!.lastEvalMs!;
    const was = await alerts(first);
    expect(was.LongPending).toMatchObject({
      state: 'pending',
      activeAt: goTime(e1),
    });
    expect(was.Firing).toMatchObject({
      state: 'firing',
      activeAt: goTime(e1),
    });
    expect(sent.filter((a) => a.labels.alertname === 'Firing')).toHaveLength(3); // at 15m, 17m, 19m: a resend is due only after more than resend_delay (1m)
    await first.close();
    servers.splice(0);

    await clock.advance(5 * 60_000); // downtime
    sent.length = 0;
    const second = await start((_expr, a) => sent.push(...a));
    await step(second); // evaluates, then restores ALERTS_FOR_STATE
    const restartEval = second.rules.groups[0]!.lastEvalMs!;
    await step(second);
    const now = await alerts(second);
    // Firing was firing when the server stopped: it is firing again, with its original activeAt.
    expect(now.Firing).toMatchObject({
      state: 'firing',
      activeAt: goTime(e1),
    });
    // LongPending keeps its 20 minutes of pending time; the downtime is added to activeAt.
    const restored = e1 + (restartEval - lastBeforeStop);
    expect(now.LongPending).toMatchObject({
      state: 'pending',
      activeAt: goTime(restored),
    });
    expect(sent.filter((a) => a.labels.alertname === 'LongPending')).toEqual([]);
    // It fires when its hour of pending time is complete, not an hour after the restart.
    const firesAt = restored + 3_600_000;
    await step(second, Math.round((firesAt - second.rules.groups[0]!.lastEvalMs!) / 60_000) - 1);
    expect((await alerts(second)).LongPending!.state).toBe('pending');
    await step(second);
    expect((await alerts(second)).LongPending!.state).toBe('firing');
    expect(firesAt).toBeLessThan(restartEval + 3_600_000);
  });

  it('reloads by itself when a rule file changes on disk, and when kanshi.yml adds rule files', async () => {
    await writeFile(path.join(dir, 'kanshi.yml'), 'rule_files: ["rules.yml"]\n');
    const server = await startServer({
      config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data' }),
      logger: nullLogger,
      clock,
      baseDir: dir,
      configFile: 'kanshi.yml',
      ruleFiles: ['rules.yml'],
    });
    servers.push(server);
    const names = (): string[] => server.rules.groups.flatMap((g) => g.rules.map((r) => r.name));
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    expect(names()).toEqual(['job:one', 'LongPending', 'Firing']);
    await writeFile(path.join(dir, 'rules.yml'), RULES.replace('alert: Firing', 'alert: Renamed'));
    await until(() => names().includes('Renamed'));
    expect(names()).toEqual(['job:one', 'LongPending', 'Renamed']);

    await writeFile(
      path.join(dir, 'extra.yml'),
      'groups:\n  - name: extra\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n',
    );
    await writeFile(path.join(dir, 'kanshi.yml'), 'rule_files: ["rules.yml", "extra.yml"]\n');
    await until(() => names().includes('Watchdog'));
    expect(server.rules.groups.map((g) => g.config.name).sort()).toEqual(['extra', 'g']);
  }, 20_000);
});
