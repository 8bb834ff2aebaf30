import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricFamily } from '../../src/model/metric.js';
import { HttpProbe, type HttpProbeOptions } from '../../src/checks/http-probe.js';
import { TcpProbe } from '../../src/checks/tcp-probe.js';
import { makeSelfSignedCert } from '../support/self-signed-cert.js';

/**
 * Runs Debian's prometheus-blackbox-exporter and our probes against the same loopback targets and
 * requires that every probe_* metric blackbox reports exists in ours with the same label names,
 * and that the verdicts (probe_success, probe_http_status_code, …) agree.
 */

const BIN = '/usr/bin/prometheus-blackbox-exporter';

function handle(req: IncomingMessage, res: ServerResponse): void {
  switch (req.url) {
    case '/':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello ok\n');
      return;
    case '/sized':
      res.writeHead(200, { 'content-length': '5', 'last-modified': 'Wed, 21 Oct 2026 07:28:00 GMT' });
      res.end('12345');
      return;
    case '/503':
      res.writeHead(503);
      res.end('down');
      return;
    case '/redirect':
      res.writeHead(302, { location: '/' });
      res.end();
      return;
    default:
      res.writeHead(404);
      res.end();
  }
}

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** A sample of the text format, enough for blackbox's output. */
interface TextSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseText(text: string): TextSample[] {
  const out: TextSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`cannot parse ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function fromFamilies(families: readonly MetricFamily[]): TextSample[] {
  return families.flatMap((f) =>
    f.samples.map((s) => ({
      name: s.name,
      labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      value: s.value,
    })),
  );
}

/** metric name → sorted label-name sets, e.g. `probe_http_duration_seconds` → `["phase"]`. */
function shape(samples: TextSample[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const s of samples) {
    if (!s.name.startsWith('probe_')) continue;
    const set = out.get(s.name) ?? new Set<string>();
    set.add(JSON.stringify(Object.keys(s.labels).sort()));
    out.set(s.name, set);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** The certificate and TLS version labels must be the same values, not just the same names. */
function expectSameTlsInfo(ours: TextSample[], theirs: TextSample[]): void {
  for (const name of ['probe_ssl_last_chain_info', 'probe_tls_version_info']) {
    const labels = (samples: TextSample[]): Record<string, string>[] =>
      samples.filter((s) => s.name === name).map((s) => s.labels);
    expect({ name, labels: labels(ours) }).toEqual({ name, labels: labels(theirs) });
  }
}

function valueOf(samples: TextSample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}

describe.skipIf(!existsSync(BIN))('HttpProbe and TcpProbe against blackbox_exporter', () => {
  let tmp: string;
  let bb: ChildProcess;
  let bbUrl: string;
  let http: Server;
  let https: Server;
  let base: string;
  let tlsBase: string;
  let certPem: string;
  let closedPort: number;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kanshi-blackbox-'));
    const cert = makeSelfSignedCert(tmp);
    certPem = cert.certPem;
    http = createServer(handle);
    https = createHttpsServer({ key: cert.keyPem, cert: certPem }, handle);
    base = `http://127.0.0.1:${await listen(http)}`;
    tlsBase = `https://127.0.0.1:${await listen(https)}`;
    closedPort = await freePort();

    const config = join(tmp, 'blackbox.yml');
    writeFileSync(
      config,
      [
        'modules:',
        '  http_2xx:',
        '    prober: http',
        '  http_no_follow:',
        '    prober: http',
        '    http:',
        '      no_follow_redirects: true',
        '  http_body:',
        '    prober: http',
        '    http:',
        '      fail_if_body_not_matches_regexp: ["^goodbye"]',
        '  https_ca:',
        '    prober: http',
        '    http:',
        '      tls_config:',
        `        ca_file: ${join(tmp, 'cert.pem')}`,
        '  tcp_connect:',
        '    prober: tcp',
        '  tcp_tls_ca:',
        '    prober: tcp',
        '    tcp:',
        '      tls: true',
        '      tls_config:',
        `        ca_file: ${join(tmp, 'cert.pem')}`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    bbUrl = `http://127.0.0.1:${port}`;
    bb = spawn(BIN, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${bbUrl}/-/healthy`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('blackbox_exporter did not start');
  });

  afterAll(async () => {
    if (bb && bb.exitCode === null) {
      const exited = new Promise((r) => bb.once('exit', r));
      bb.kill('SIGTERM');
      await exited;
    }
    http?.closeAllConnections();
    https?.closeAllConnections();
    http?.close();
    https?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function blackbox(module: string, target: string): Promise<TextSample[]> {
    const res = await fetch(`${bbUrl}/probe?module=${module}&target=${encodeURIComponent(target)}`);
    expect(res.ok).toBe(true);
    return parseText(await res.text());
  }

  const cases: [string, string, () => string, Partial<HttpProbeOptions>, string[]][] = [
    ['a 200', 'http_2xx', () => `${base}/`, {}, []],
    ['a sized 200 with Last-Modified', 'http_2xx', () => `${base}/sized`, {}, ['probe_http_content_length']],
    ['a 503', 'http_2xx', () => `${base}/503`, {}, []],
    ['a followed redirect', 'http_2xx', () => `${base}/redirect`, {}, ['probe_http_redirects']],
    [
      'an unfollowed redirect',
      'http_no_follow',
      () => `${base}/redirect`,
      { followRedirects: false },
      ['probe_http_redirects'],
    ],
    [
      'a body regexp',
      'http_body',
      () => `${base}/`,
      { failIfBodyNotMatchesRegexp: ['^goodbye'] },
      ['probe_failed_due_to_regex'],
    ],
    ['a refused connection', 'http_2xx', () => `http://127.0.0.1:${closedPort}/`, {}, []],
    [
      'verified TLS',
      'https_ca',
      () => `${tlsBase}/`,
      {},
      ['probe_http_ssl', 'probe_ssl_earliest_cert_expiry'],
    ],
  ];

  it.each(cases)('agrees on %s', async (_, module, target, options, alsoEqual) => {
    const theirs = await blackbox(module, target());
    const ours = fromFamilies(
      (
        await new HttpProbe({
          name: 'interop',
          url: target(),
          timeoutMs: 5000,
          ...(module === 'https_ca' && { caPem: certPem }),
          ...options,
        }).probe(new AbortController().signal)
      ).families,
    );
    const theirShape = shape(theirs);
    const ourShape = shape(ours);
    expect(theirShape.size).toBeGreaterThanOrEqual(13);
    for (const [name, labelSets] of theirShape) {
      expect({ name, labelSets: ourShape.get(name) }).toEqual({ name, labelSets });
    }
    for (const name of [
      'probe_success',
      'probe_http_status_code',
      'probe_ip_protocol',
      'probe_ip_addr_hash',
      ...alsoEqual,
    ]) {
      expect({ name, value: valueOf(ours, name) }).toEqual({ name, value: valueOf(theirs, name) });
    }
    expectSameTlsInfo(ours, theirs);
  });

  it.each([
    ['a TCP connect', 'tcp_connect', () => Number(new URL(base).port), false],
    ['a verified TLS connect', 'tcp_tls_ca', () => Number(new URL(tlsBase).port), true],
  ] as const)('agrees on %s', async (_, module, portOf, isTls) => {
    const port = portOf();
    const theirs = await blackbox(module, `127.0.0.1:${port}`);
    const ours = fromFamilies(
      (
        await new TcpProbe({
          name: 'interop',
          host: '127.0.0.1',
          port,
          timeoutMs: 5000,
          ...(isTls && { isTls, caPem: certPem }),
        }).probe(new AbortController().signal)
      ).families,
    );
    expectSameTlsInfo(ours, theirs);
    for (const name of ['probe_ssl_earliest_cert_expiry', 'probe_ssl_last_chain_expiry_timestamp_seconds']) {
      expect({ name, value: valueOf(ours, name) }).toEqual({ name, value: valueOf(theirs, name) });
    }
    const ourShape = shape(ours);
    for (const [name, labelSets] of shape(theirs)) {
      expect({ name, labelSets: ourShape.get(name) }).toEqual({ name, labelSets });
    }
    expect(valueOf(ours, 'probe_success')).toBe(valueOf(theirs, 'probe_success'));
    expect(valueOf(ours, 'probe_success')).toBe(1);
  });
});
