import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeTarget } from '../../src/scrape/scrape-target.js';

/**
 * Differential test against Debian's Prometheus (package `prometheus`): a loopback server serves
 * edge-case text-format and OpenMetrics bodies, Prometheus scrapes each as its own job, and for every body our
 * scrapeTarget must agree with Prometheus on whether the scrape succeeds (up) or fails.
 * Debian 12 ships Prometheus 2.42; cases where its parser differs from today's Prometheus 3 (quoted
 * UTF-8 names) are left out.
 */

const BINARY = '/usr/bin/prometheus';

const TEXT_CASES: readonly { name: string; body: string | Buffer }[] = [
  { name: 'plain', body: 'a 1\n' },
  { name: 'no final newline', body: 'a 1' },
  { name: 'timestamp', body: 'a 1 1700000000000\n' },
  { name: 'blank lines and comments', body: '\n# hi\n\na 1\n# EOF\n' },
  { name: 'whitespace everywhere', body: 'a  { x = "1" , }  3  \n' },
  { name: 'indented sample', body: '  a 1\n' },
  { name: 'indented comment', body: '  # hi\na 1\n' },
  { name: 'labels without comma', body: 'a{x="1" y="2"} 1\n' },
  { name: 'trailing comma', body: 'a{x="1",} 1\n' },
  { name: 'no space before value', body: 'a{x="1"}3\n' },
  { name: 'value glued to name', body: 'a-1\n' },
  { name: 'escapes', body: 'a{x="\\"\\\\\\n\\t"} 1\n' },
  { name: 'raw newline in label value', body: 'a{x="1\n2"} 1\n' },
  { name: 'NaN and Inf', body: 'a NaN\nb +Inf\nc -inf\nd Infinity\n' },
  { name: 'exponents and dots', body: 'a 1e3\nb .5\nc 5.\nd +5\n' },
  { name: 'HELP and TYPE in any order, repeated', body: '# TYPE a gauge\n# HELP a x\n# HELP a y\na 1\n' },
  { name: 'HELP without text', body: '# HELP a\na 1\n' },
  { name: 'untyped', body: '# TYPE a untyped\na 1\n' },
  { name: 'CRLF', body: 'a 1\r\n' },
  { name: 'CRLF after timestamp', body: 'a 1 5\r\n' },
  { name: 'TYPE unknown', body: '# TYPE a unknown\na 1\n' },
  { name: 'TYPE with two spaces', body: '# TYPE a  gauge\na 1\n' },
  { name: 'TYPE with trailing space', body: '# TYPE a gauge \na 1\n' },
  { name: 'hex value', body: 'a 0x10\n' },
  { name: 'underscore value', body: 'a 1_000\n' },
  { name: 'signed NaN', body: 'a +NaN\n' },
  { name: 'overflowing value', body: 'a 1e400\n' },
  { name: 'negative timestamp', body: 'a 1 -5\n' },
  { name: 'float timestamp', body: 'a 1 1.5\n' },
  { name: 'exemplar', body: 'a_total 1 # {t="x"} 1\n' },
  { name: 'single quotes', body: "a{b='c'} 1\n" },
  { name: 'missing value', body: 'a\n' },
  { name: 'unterminated label value', body: 'a{x="1} 2\n' },
  { name: 'double comma', body: 'a{x="1",,y="2"} 1\n' },
  { name: 'label name starting with a digit', body: 'a{1x="1"} 1\n' },
  { name: 'metric name starting with a digit', body: '1a 1\n' },
  { name: 'two timestamps', body: 'a 1 2 3\n' },
  { name: 'bad line after good ones', body: 'a 1\nb 2\nc ?\n' },
  { name: 'duplicate label name', body: 'a{x="1",x="2"} 1\n' },
  { name: '__name__ as a label', body: 'a{__name__="b"} 1\n' },
  { name: 'empty label value', body: 'a{x=""} 1\n' },
  { name: 'empty braces', body: 'a{} 1\n' },
  { name: 'TYPE after samples', body: 'a 1\n# TYPE a gauge\n' },
  { name: 'interleaved families', body: 'a{x="1"} 1\nb 1\na{x="2"} 1\n' },
  { name: 'duplicate series', body: 'a 1\na 2\n' },
  { name: 'NUL at line start', body: 'a 1\n\0garbage here\n' },
  { name: 'NUL in label value', body: 'a{x="a\0b"} 1\n' },
  {
    name: 'invalid utf-8 in label value',
    body: Buffer.from([...Buffer.from('a{x="'), 0xff, ...Buffer.from('"} 1\n')]),
  },
  {
    name: 'invalid utf-8 in a comment',
    body: Buffer.from([...Buffer.from('# '), 0xff, ...Buffer.from('\na 1\n')]),
  },
  {
    name: 'invalid utf-8 in HELP',
    body: Buffer.from([...Buffer.from('# HELP a '), 0xff, ...Buffer.from('\na 1\n')]),
  },
  { name: 'utf-8 label value', body: 'a{x="監視"} 1\n' },
  {
    name: 'histogram',
    body: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n',
  },
  { name: 'timestamp out of int64', body: 'a 1 9223372036854775808\n' },
];

const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
/** OpenMetrics bodies, served as such: our lenient mode must match Prometheus's parser. */
const OM_CASES: readonly { name: string; body: string }[] = [
  { name: 'om counter', body: '# TYPE a counter\n# HELP a h\na_total 1\na_created 1700000000\n# EOF\n' },
  { name: 'om no final newline', body: 'a 1\n# EOF' },
  { name: 'om exemplar', body: '# TYPE a counter\na_total 1 # {t="x"} 1 1700000000.5\n# EOF\n' },
  { name: 'om float timestamp', body: 'a 1 1700000000.123\n# EOF\n' },
  {
    name: 'om info stateset gaugehistogram',
    body: '# TYPE i info\ni_info{v="1"} 1\n# TYPE s stateset\ns{s="a"} 1\n# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 1\ng_gcount 1\ng_gsum 1\n# EOF\n',
  },
  { name: 'om unit', body: '# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n' },
  { name: 'om trailing comma', body: 'a{x="1",} 1\n# EOF\n' },
  { name: 'om negative counter', body: '# TYPE a counter\na_total -1\n# EOF\n' },
  { name: 'om repeated HELP', body: '# HELP a x\n# HELP a y\na 1\n# EOF\n' },
  { name: 'om interleaved', body: 'a{x="1"} 1\nb 1\na{x="2"} 1\n# EOF\n' },
  { name: 'om no EOF', body: 'a 1\n' },
  { name: 'om data after EOF', body: 'a 1\n# EOF\nb 1\n' },
  { name: 'om blank line', body: 'a 1\n\n# EOF\n' },
  { name: 'om comment', body: '# hello\na 1\n# EOF\n' },
  { name: 'om two spaces', body: 'a  1\n# EOF\n' },
  { name: 'om trailing space', body: 'a 1 \n# EOF\n' },
  { name: 'om CRLF', body: 'a 1\r\n# EOF\r\n' },
  { name: 'om untyped', body: '# TYPE a untyped\na 1\n# EOF\n' },
  { name: 'om HELP without space', body: '# HELP a\na 1\n# EOF\n' },
  { name: 'om NaN timestamp', body: 'a 1 NaN\n# EOF\n' },
  { name: 'om labels without comma', body: 'a{x="1" y="2"} 1\n# EOF\n' },
  { name: 'om exemplar without space', body: '# TYPE a counter\na_total 1 #{t="x"} 1\n# EOF\n' },
  { name: 'om duplicate label', body: 'a{x="1",x="2"} 1\n# EOF\n' },
  { name: 'om hex value', body: 'a 0x1\n# EOF\n' },
];

const CASES: readonly { name: string; body: string | Buffer; contentType?: string }[] = [
  ...TEXT_CASES,
  ...OM_CASES.map((c) => ({ ...c, contentType: OM })),
];

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

let server: Server;
let prometheus: ChildProcess | undefined;
let dir = '';
let exporter = '';
let promUrl = '';

beforeAll(async () => {
  expect(existsSync(BINARY), `${BINARY} missing: apt-get install prometheus`).toBe(true);
  server = createServer((req, res) => {
    const i = Number(/^\/case\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
    const c = CASES[i];
    if (c === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': c.contentType ?? 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(c.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  exporter = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  dir = mkdtempSync(path.join(tmpdir(), 'kanshi-prom-'));
  const jobs = CASES.map(
    (_, i) =>
      `  - job_name: case${i}\n    metrics_path: /case/${i}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ['${exporter}']\n`,
  ).join('');
  writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n${jobs}`);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    BINARY,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  prometheus.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  for (let i = 0; i < 300; i++) {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    try {
      const res = await fetch(`${promUrl}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus did not become ready: ${stderr}`);
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface PromTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** Waits until Prometheus has scraped every job at least once; returns job → target. */
async function scrapedTargets(): Promise<Map<string, PromTarget>> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${promUrl}/api/v1/targets?state=active`);
    const body = (await res.json()) as { data: { activeTargets: PromTarget[] } };
    const targets = body.data.activeTargets;
    if (targets.length === CASES.length && targets.every((t) => t.health !== 'unknown')) {
      return new Map(targets.map((t) => [t.labels['job']!, t]));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('prometheus did not scrape every target');
}

describe('text-format and OpenMetrics leniency agree with Debian prometheus', () => {
  it('accepts and rejects the same bodies', async () => {
    const prom = await scrapedTargets();
    const disagreements: string[] = [];
    let upCount = 0;
    for (let i = 0; i < CASES.length; i++) {
      const theirs = prom.get(`case${i}`)!;
      const ours = await scrapeTarget(
        { url: `http://${exporter}/case/${i}`, job: `case${i}`, instance: exporter },
        { timeoutMs: 5000 },
      );
      const theirUp = theirs.health === 'up';
      if (theirUp) upCount++;
      if (ours.up !== theirUp) {
        disagreements.push(
          `${CASES[i]!.name}: prometheus ${theirs.health} (${theirs.lastError}), kanshi ${ours.up ? 'up' : `down (${ours.error})`}`,
        );
      }
    }
    process.stdout.write(
      `prometheus agreement: ${CASES.length - disagreements.length}/${CASES.length}, ${upCount} up\n`,
    );
    expect(disagreements).toEqual([]);
    // Both outcomes are exercised.
    expect(upCount).toBeGreaterThan(5);
    expect(upCount).toBeLessThan(CASES.length - 5);
  });
});
