import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.js';
import { nullLogger } from '../../src/base/logger.js';
import { Registry } from '../../src/exposition/registry.js';
import { Silences } from '../../src/notify/silences/silences.js';
import { parseYamlConfig } from '../../src/config/load-yaml.js';
import { notificationsConfig } from '../../src/notify/config.js';
import { NotificationPipeline } from '../../src/notify/pipeline.js';
import { createHttpApp } from '../../src/server/http/app.js';
import { registerAlertmanagerApi } from '../../src/server/api/v2/index.js';
import { freePort } from '../support/prom-peer.js';

/**
 * Debian's amtool (0.25) against Kanshi's Alertmanager API v2 and, side by side, against Debian's
 * prometheus-alertmanager 0.25: the same commands must give the same exit codes and, once ids and
 * times are masked, the same output.
 */

const AMTOOL = '/usr/bin/amtool';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const CONFIG = 'route:\n  receiver: ops\nreceivers:\n  - name: ops\n';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function amtool(url: string, args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(AMTOOL, [`--alertmanager.url=${url}`, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Peer {
  url: string;
  stop(): Promise<void>;
}

async function startKanshi(dir: string): Promise<Peer> {
  const silences = await Silences.open({ clock: systemClock, snapshotPath: path.join(dir, 'silences.json') });
  const { config, diagnostics } = parseYamlConfig(CONFIG, 'am.yml', notificationsConfig);
  if (config === undefined) throw new Error(JSON.stringify(diagnostics));
  // The real pipeline, muted by the real silences; nothing is delivered in this test.
  const pipeline = new NotificationPipeline({
    config,
    silencer: silences,
    sink: { enqueue: () => undefined },
    clock: systemClock,
    logger: nullLogger,
  });
  const app: FastifyInstance = createHttpApp({
    logger: nullLogger,
    registry: new Registry(),
    isReady: () => true,
  });
  registerAlertmanagerApi(app, {
    silences,
    alerts: pipeline,
    receivers: () => config.receivers.map((r) => r.name),
    configYaml: () => CONFIG,
    startTimeMs: Date.now(),
    versionInfo: {
      version: '0.1.0',
      revision: 'test',
      branch: 'main',
      buildUser: 'kanshi',
      buildDate: '20261127',
      goVersion: 'node',
    },
  });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await app.close();
      await pipeline.close();
      await silences.close();
    },
  };
}

async function startAlertmanager(dir: string): Promise<Peer> {
  const config = path.join(dir, 'alertmanager.yml');
  await writeFile(config, CONFIG);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    ALERTMANAGER,
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`alertmanager did not become ready: ${stderr}`);
}

/** Masks what differs between two servers by nature: silence ids and times. */
function mask(text: string, ids: readonly string[]): string {
  let out = text;
  ids.forEach((id, i) => {
    out = out.split(id).join(`<id${i}>`);
  });
  return out
    .replace(
      /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?( ?(Z|[+-]\d{2}:?\d{2}))?( [A-Z]{3,4})?/g,
      '<time>',
    )
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
}

/** Runs the scenario against one server and returns every command's masked result. */
async function scenario(url: string): Promise<Record<string, Result>> {
  const out: Record<string, Result> = {};
  const ids: string[] = [];
  const run = async (name: string, args: readonly string[]): Promise<Result> => {
    const r = await amtool(url, args);
    out[name] = r;
    return r;
  };

  const added = await run('silence add', [
    'silence',
    'add',
    '-a',
    'me',
    '-c',
    'disk swap',
    '-d',
    '1h',
    'alertname=Foo',
    'job=~"a.*"',
  ]);
  ids.push(added.stdout.trim());
  const second = await run('silence add 2', [
    'silence',
    'add',
    '-a',
    'you',
    '-c',
    'other',
    '-d',
    '2h',
    'alertname=Bar',
  ]);
  ids.push(second.stdout.trim());
  await run('silence add all-empty', ['silence', 'add', '-a', 'me', '-c', 'x', '-d', '1h', 'job=~".*"']);
  await run('silence add bad regex', ['silence', 'add', '-a', 'me', '-c', 'x', '-d', '1h', 'job=~"("']);
  await run('silence query', ['silence', 'query']);
  await run('silence query filter', ['silence', 'query', 'alertname=Foo']);
  await run('silence query -q', ['silence', 'query', '-q']);
  await run('silence query json', ['-o', 'json', 'silence', 'query', 'alertname=Bar']);
  await run('silence query extended', ['-o', 'extended', 'silence', 'query']);
  // Same matchers, new comment and end: the silence keeps its id.
  await run('silence update', ['silence', 'update', '-c', 'longer swap', '-d', '3h', ids[1]!]);
  await run('silence query after update', ['silence', 'query', 'alertname=Bar']);

  await run('alert add Foo', [
    'alert',
    'add',
    'alertname=Foo',
    'job=abc',
    '--annotation=summary=foo is down',
  ]);
  await run('alert add Baz', ['alert', 'add', 'alertname=Baz', 'job=xyz']);
  // Alertmanager takes posted alerts asynchronously; wait until both are listed.
  for (let i = 0; i < 50; i++) {
    const r = await amtool(url, ['-o', 'json', 'alert', 'query', '-s']);
    if (r.stdout.includes('Baz') && r.stdout.includes('Foo')) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await run('alert query', ['alert', 'query']);
  await run('alert query silenced', ['alert', 'query', '-s']);
  await run('alert query filter', ['alert', 'query', '-s', 'job=~"x.*"']);
  await run('alert query bad filter', ['alert', 'query', 'foo']);

  await run('silence expire', ['silence', 'expire', ids[0]!]);
  await run('silence query after expire', ['silence', 'query']);
  await run('silence query expired', ['silence', 'query', '--expired']);
  await run('alert query after expire', ['alert', 'query']);
  await run('silence expire unknown', ['silence', 'expire', '00000000-0000-4000-8000-000000000000']);

  for (const r of Object.values(out)) {
    r.stdout = mask(r.stdout, ids);
    // amtool warns when the server's version is not its own; Kanshi reports its own version.
    r.stderr = mask(r.stderr, ids).replace(/^Warning: amtool version .* are different\.\n/gm, '');
  }
  return out;
}

describe('amtool against Kanshi and Alertmanager', () => {
  let dir: string;
  let kanshi: Peer;
  let am: Peer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kanshi-amtool-'));
    kanshi = await startKanshi(dir);
    am = await startAlertmanager(dir);
  });

  afterAll(async () => {
    await kanshi.stop();
    await am.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same answers to the same commands', async () => {
    const fromAm = await scenario(am.url);
    const fromKanshi = await scenario(kanshi.url);
    // The scenario did what it meant to against the real Alertmanager.
    expect(fromAm['silence add']?.code).toBe(0);
    expect(fromAm['silence query']?.stdout).toContain('alertname="Foo"');
    expect(fromAm['alert query silenced']?.stdout).toContain('Foo');
    expect(fromAm['silence query after update']?.stdout).toMatch(/<id1> .*longer swap/);
    expect(fromKanshi).toEqual(fromAm);
  });

  it('shows alerts in a maintenance window as suppressed to amtool (Kanshi only)', async () => {
    const now = new Date();
    const hhmm = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
    const weekday = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][
      now.getUTCDay()
    ];
    const res = await fetch(`${kanshi.url}/api/kanshi/v1/maintenance-windows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'env', value: 'staging', isRegex: false }],
        recurrence: { kind: 'weekly', weekdays: [weekday], startTime: hhmm },
        duration: '1h',
        timeZone: 'UTC',
        createdBy: 'ops',
        comment: 'patch window',
      }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect((await amtool(kanshi.url, ['alert', 'add', 'alertname=Patched', 'env=staging'])).code).toBe(0);
    expect((await amtool(kanshi.url, ['alert', 'add', 'alertname=Patched', 'env=prod'])).code).toBe(0);
    const json = await amtool(kanshi.url, ['-o', 'json', 'alert', 'query', '-a', '-s', 'alertname=Patched']);
    const alerts = JSON.parse(json.stdout) as {
      labels: { env: string };
      status: { state: string; silencedBy: string[] };
    }[];
    expect(alerts.map((a) => [a.labels.env, a.status.state, a.status.silencedBy]).sort()).toEqual([
      ['prod', 'active', []],
      ['staging', 'suppressed', [id]],
    ]);
    // amtool's default view leaves silenced alerts out.
    const plain = await amtool(kanshi.url, ['alert', 'query', 'alertname=Patched']);
    expect(plain.stdout.split('\n').filter((l) => l.startsWith('Patched'))).toHaveLength(1);
  });
});
