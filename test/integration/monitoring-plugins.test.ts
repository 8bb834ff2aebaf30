import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, CheckStatus } from '../../src/model/check.js';
import { CHECK_FAMILY, checkResultToFamilies } from '../../src/checks/check-series.js';
import { CommandCheck } from '../../src/checks/command-check.js';
import { explainCheck } from '../../src/checks/explain.js';

/**
 * Debian's monitoring-plugins, unmodified, run through CommandCheck: their exit codes, messages and
 * perfdata must be understood. CI installs the `monitoring-plugins` package (monitoring-plugins-basic
 * and -standard hold these binaries); the HTTP and TCP targets are node servers on loopback.
 */

const PLUGINS = '/usr/lib/nagios/plugins';
const baseEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
const never = new AbortController().signal;

async function run(plugin: string, ...args: string[]): Promise<CheckResult> {
  const check = new CommandCheck({
    name: plugin,
    command: [`${PLUGINS}/${plugin}`, ...args],
    timeoutMs: 30_000,
    baseEnv,
  });
  const { result, problems } = await check.execute(never);
  // Debian's plugins print well-formed perfdata: any problem is a parser bug of ours.
  expect(problems, explainCheck(result, { problems })).toEqual([]);
  return result;
}

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function closedPort(): Promise<number> {
  const s = createNetServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

describe('monitoring-plugins through CommandCheck', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/down') {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello from kanshi\n');
    });
    port = await listen(server);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const dummies: [string, CheckStatus, string][] = [
    ['0', 'OK', 'OK: all fine'],
    ['1', 'WARNING', 'WARNING: a bit off'],
    ['2', 'CRITICAL', 'CRITICAL: broken'],
    ['3', 'UNKNOWN', 'UNKNOWN: no idea'],
  ];
  for (const [code, status, message] of dummies) {
    it(`check_dummy ${code} gives ${status} with its message`, async () => {
      const text = message.slice(message.indexOf(': ') + 2);
      const r = await run('check_dummy', code, text);
      expect(r).toMatchObject({ status, exitCode: Number(code), message, perfdata: [] });
    });
  }

  it('check_dummy with an unsupported state says UNKNOWN', async () => {
    const r = await run('check_dummy', '4', 'x');
    expect(r).toMatchObject({
      status: 'UNKNOWN',
      exitCode: 3,
      message: 'UNKNOWN: Status 4 is not a supported error state',
    });
  });

  it("check_load's load1/load5/load15 perfdata with thresholds and min", async () => {
    const r = await run('check_load', '-w', '1000,900,800', '-c', '2000,1900,1800');
    expect(r.status).toBe('OK');
    expect(r.message).toMatch(/^LOAD OK - total load average: /);
    expect(r.perfdata.map((p) => [p.label, p.unit, p.warn?.end, p.crit?.end, p.min])).toEqual([
      ['load1', '', 1000, 2000, 0],
      ['load5', '', 900, 1900, 0],
      ['load15', '', 800, 1800, 0],
    ]);
    for (const p of r.perfdata) expect(p.value).toBeGreaterThanOrEqual(0);
  });

  it('check_disk on / is CRITICAL when 100% must be free, with byte perfdata', async () => {
    const r = await run('check_disk', '-w', '100%', '-c', '100%', '-p', '/');
    expect(r.status).toBe('CRITICAL');
    expect(r.message).toMatch(/^DISK CRITICAL/);
    const [disk] = r.perfdata;
    expect(disk).toMatchObject({ label: '/', baseUnit: 'bytes' });
    expect(disk!.max).toBeGreaterThan(0);
    expect(disk!.baseValue).toBeGreaterThan(0);
    expect(disk!.baseValue).toBeLessThanOrEqual(disk!.max! * (disk!.unit === 'B' ? 1 : 1024 ** 2));
  });

  it('check_disk on / is OK when 0% must be free', async () => {
    const r = await run('check_disk', '-w', '0%', '-c', '0%', '-p', '/');
    expect(r.status).toBe('OK');
    expect(r.message).toMatch(/^DISK OK/);
    expect(r.perfdata[0]?.label).toBe('/');
  });

  it('check_procs counts processes against a range', async () => {
    const ok = await run('check_procs', '-w', '1000000', '-c', '2000000');
    expect(ok.status).toBe('OK');
    expect(ok.perfdata[0]).toMatchObject({ label: 'procs', warn: { start: 0, end: 1_000_000 } });
    expect(ok.perfdata[0]!.value).toBeGreaterThan(0);
    // Critical outside 0..0: there is always at least this test's process.
    const crit = await run('check_procs', '-c', '0');
    expect(crit.status).toBe('CRITICAL');
  });

  it('check_tcp against a loopback server is OK with a time in seconds', async () => {
    const r = await run('check_tcp', '-H', '127.0.0.1', '-p', String(port));
    expect(r.status).toBe('OK');
    expect(r.message).toMatch(/^TCP OK/);
    expect(r.perfdata[0]).toMatchObject({ label: 'time', unit: 's', baseUnit: 'seconds' });
  });

  it('check_tcp against a closed port is CRITICAL', async () => {
    const r = await run('check_tcp', '-H', '127.0.0.1', '-p', String(await closedPort()));
    expect(r.status).toBe('CRITICAL');
    expect(r.message).toMatch(/Connection refused/);
  });

  it('check_http against a loopback server is OK with time and size perfdata', async () => {
    const r = await run(
      'check_http',
      '-I',
      '127.0.0.1',
      '-p',
      String(port),
      '-u',
      '/',
      '-s',
      'hello from kanshi',
    );
    expect(r.status).toBe('OK');
    expect(r.message).toMatch(/^HTTP OK: HTTP\/1\.1 200 OK/);
    expect(r.perfdata.map((p) => [p.label, p.baseUnit])).toEqual([
      ['time', 'seconds'],
      ['size', 'bytes'],
    ]);
    expect(r.perfdata[1]!.value).toBeGreaterThan(0);
  });

  it('check_http is CRITICAL for a 503 and for a closed port', async () => {
    const down = await run('check_http', '-I', '127.0.0.1', '-p', String(port), '-u', '/down');
    expect(down.status).toBe('CRITICAL');
    expect(down.message).toMatch(/503/);
    const closed = await run('check_http', '-I', '127.0.0.1', '-p', String(await closedPort()));
    expect(closed.status).toBe('CRITICAL');
  });

  it("turns check_load's result into status and threshold series", async () => {
    const r = await run('check_load', '-w', '1000,900,800', '-c', '2000,1900,1800');
    const families = checkResultToFamilies('load', r);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get(CHECK_FAMILY.status)?.samples[0]?.value).toBe(0);
    expect(byName.get(CHECK_FAMILY.perfdata)?.samples).toHaveLength(3);
    expect(byName.get(CHECK_FAMILY.warningHigh)?.samples.map((s) => s.value)).toEqual([1000, 900, 800]);
    expect(byName.get(CHECK_FAMILY.criticalHigh)?.samples.map((s) => s.value)).toEqual([2000, 1900, 1800]);
  });
});
