// The agent's send path end to end over loopback: DiskQueue + Shipper delivering to Kanshi's
// own ingest routes through an outage and a shipper restart, and to Debian's prometheus as a
// remote_write receiver (our encoding accepted, values exact, staleness markers honoured).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskQueue } from '../../src/agent/shipper/disk-queue.js';
import { Shipper, checksBatch, metricsBatch } from '../../src/agent/shipper/shipper.js';
import { Registry } from '../../src/exposition/registry.js';
import type { CheckReportResponse, CheckReportResult } from '../../src/model/check-report.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { STALE_NAN } from '../../src/model/sample.js';
import {
  MemoryCheckResultStore,
  registerCheckResults,
  type CheckResultStore,
} from '../../src/server/ingest/check-results.js';
import { registerRemoteWrite } from '../../src/server/ingest/remote-write.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import type { Appendable } from '../../src/storage/storage.js';

const PROMETHEUS = '/usr/bin/prometheus';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'kanshi-agent-queue-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A free loopback TCP port (bound then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `cond` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const BASE_T = 1_700_000_000_000;

/** Batch i: one sample of `kanshi_it_seq` with t = BASE_T + i s and value i; every 5th also a check result. */
async function enqueueBatch(queue: DiskQueue, i: number): Promise<void> {
  await queue.enqueue(
    metricsBatch({
      timeseries: [
        {
          labels: labelsFromRecord({ __name__: 'kanshi_it_seq', host: 'web-1' }),
          samples: [{ value: i, timestamp: BASE_T + i * 1000 }],
        },
      ],
    }),
  );
  if (i % 5 === 0) {
    await queue.enqueue(
      checksBatch({
        host: 'web-1',
        results: [
          {
            check: 'disk',
            status: i % 10 === 0 ? 'OK' : 'WARNING',
            message: `run ${i}`,
            long_output: '',
            perfdata: [{ label: 'used', value: i, unit: '%' }],
            started_at: BASE_T + i * 1000,
            duration_ms: 12,
            attempt: 1,
            hard_status: null,
            memo: '',
            prevent_alert_auto_close: false,
            notification_interval_ms: null,
            labels: {},
          },
        ],
      }),
    );
  }
}

describe('agent send queue against Kanshi ingest', () => {
  it('delivers every sample and check result exactly once, in order, through an outage and a shipper restart', async () => {
    // Everything the server committed, in commit order (MemoryStorage would hide a duplicate).
    const storage = new MemoryStorage();
    const received: number[] = [];
    const recording: Appendable = {
      appender: () => {
        const inner = storage.appender();
        const pending: number[] = [];
        return {
          append: (labels, t, v) => {
            pending.push(v);
            return inner.append(labels, t, v);
          },
          commit: async () => {
            await inner.commit();
            received.push(...pending);
          },
          rollback: () => inner.rollback(),
        };
      },
    };
    const memoryStore = new MemoryCheckResultStore();
    const putResponses: CheckReportResponse[] = [];
    const store: CheckResultStore = {
      put: async (host: string, results: readonly CheckReportResult[]) => {
        const r = await memoryStore.put(host, results);
        putResponses.push(r);
        return r;
      },
      latest: (host, check) => memoryStore.latest(host, check),
      list: (host) => memoryStore.list(host),
    };
    const limits = {
      maxBodyBytes: 1 << 20,
      maxSeriesPerRequest: 1000,
      maxLabelsPerSeries: 30,
      maxLabelNameLength: 128,
      maxLabelValueLength: 1024,
    };
    const port = await freePort();
    const startServer = async (): Promise<FastifyInstance> => {
      const app = Fastify();
      registerRemoteWrite(app, { appendable: recording, limits });
      registerCheckResults(app, { store });
      await app.listen({ host: '127.0.0.1', port });
      return app;
    };

    const queueDir = join(tmp, 'queue');
    const startShipper = async () => {
      const registry = new Registry();
      const queue = await DiskQueue.open({
        dir: queueDir,
        maxBytes: 16 << 20,
        maxAgeMs: 3_600_000,
        registry,
      });
      const shipper = new Shipper({
        queue,
        remoteWriteUrl: `http://127.0.0.1:${port}/api/v1/write`,
        checkResultsUrl: `http://127.0.0.1:${port}/api/agent/v1/check-results`,
        minBackoffMs: 10,
        maxBackoffMs: 100,
        timeoutMs: 5_000,
        registry,
      });
      const ac = new AbortController();
      const running = shipper.run(ac.signal);
      const failures = () =>
        registry.counter('kanshi_agent_send_failures_total', '').get({ kind: 'metrics', reason: 'network' });
      const stop = async () => {
        ac.abort();
        await running;
        await queue.close();
      };
      return { queue, failures, stop };
    };

    let server = await startServer();
    let agent = await startShipper();
    for (let i = 0; i < 20; i++) await enqueueBatch(agent.queue, i);
    await waitFor('the first 20 batches', () => received.length === 20 && agent.queue.records() === 0);

    // Outage: the port is closed while batches keep coming.
    await server.close();
    for (let i = 20; i < 40; i++) await enqueueBatch(agent.queue, i);
    await waitFor('a failed send during the outage', () => agent.failures() > 0);

    // The agent restarts mid-outage; the new shipper picks up the same queue directory.
    await agent.stop();
    agent = await startShipper();
    expect(agent.queue.records()).toBe(24);
    for (let i = 40; i < 60; i++) await enqueueBatch(agent.queue, i);
    await waitFor('a failed send by the restarted shipper', () => agent.failures() > 0);
    expect(received).toHaveLength(20);

    // The server comes back on the same port.
    server = await startServer();
    await waitFor('all 60 samples', () => received.length >= 60 && agent.queue.records() === 0);
    await agent.stop();
    await server.close();

    expect(received).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const totals = putResponses.reduce(
      (a, r) => ({
        accepted: a.accepted + r.accepted,
        duplicates: a.duplicates + r.duplicates,
        stale: a.stale + r.stale,
      }),
      { accepted: 0, duplicates: 0, stale: 0 },
    );
    expect(totals).toEqual({ accepted: 12, duplicates: 0, stale: 0 });
    expect((await memoryStore.latest('web-1', 'disk'))?.message).toBe('run 55');
  });
});

describe('agent send queue against Debian prometheus as the remote_write receiver', () => {
  let prom: ChildProcess | undefined;
  let promPort = 0;
  let promLog = '';

  beforeAll(async () => {
    promPort = await freePort();
    const dataDir = join(tmp, 'prom-data');
    const config = join(tmp, 'prometheus.yml');
    await writeFile(config, 'scrape_configs: []\n');
    prom = spawn(
      PROMETHEUS,
      [
        '--web.enable-remote-write-receiver',
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        `--config.file=${config}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stdout?.on('data', (d: Buffer) => (promLog += d.toString()));
    prom.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
    const exited = new Promise<void>((resolve) => prom?.once('exit', () => resolve()));
    let hasExited = false;
    void exited.then(() => (hasExited = true));
    await waitFor(
      'prometheus to be ready',
      async () => {
        if (hasExited) throw new Error(`prometheus exited:\n${promLog}`);
        try {
          return (await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok;
        } catch {
          return false;
        }
      },
      60_000,
    );
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom?.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
  });

  it('accepts our encoding: values are exact and a staleness marker ends the series', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const values = [0.1, -2.5, 1e-300, 12345.678901234567, 2 ** 53, -0.000123, 1.7976931348623157e308];
    const t0 = now - 120_000;
    const registry = new Registry();
    const queue = await DiskQueue.open({
      dir: join(tmp, 'prom-queue'),
      maxBytes: 1 << 20,
      maxAgeMs: 3_600_000,
      registry,
    });
    await queue.enqueue(
      metricsBatch({
        timeseries: [
          {
            labels: labelsFromRecord({ __name__: 'kanshi_interop_value', case: 'exact' }),
            samples: values.map((value, i) => ({ value, timestamp: t0 + i * 10_000 })),
          },
          {
            labels: labelsFromRecord({ __name__: 'kanshi_interop_stale', case: 'stale' }),
            samples: [
              { value: 7, timestamp: now - 60_000 },
              { value: STALE_NAN, timestamp: now - 30_000 },
            ],
          },
        ],
      }),
    );
    const shipper = new Shipper({
      queue,
      remoteWriteUrl: `http://127.0.0.1:${promPort}/api/v1/write`,
      checkResultsUrl: `http://127.0.0.1:${promPort}/unused`,
      minBackoffMs: 50,
      maxBackoffMs: 500,
      registry,
    });
    const ac = new AbortController();
    const running = shipper.run(ac.signal);
    await waitFor('the batch to be delivered', () => queue.records() === 0);
    ac.abort();
    await running;
    await queue.close();
    expect(registry.counter('kanshi_agent_samples_sent_total', '').get()).toBe(values.length + 2);
    expect(registry.counter('kanshi_agent_queue_dropped_total', '').get({ reason: 'rejected' })).toBe(0);

    const query = async (q: string, timeMs: number) => {
      const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}&time=${timeMs / 1000}`;
      const body = (await (await fetch(url)).json()) as {
        status: string;
        data: {
          resultType: string;
          result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
        };
      };
      expect(body.status).toBe('success');
      return body.data.result;
    };

    const matrix = await query('kanshi_interop_value[10m]', now);
    expect(matrix).toHaveLength(1);
    expect(matrix[0]!.metric).toEqual({ __name__: 'kanshi_interop_value', case: 'exact' });
    expect(matrix[0]!.values!.map(([t]) => t * 1000)).toEqual(values.map((_, i) => t0 + i * 10_000));
    // Prometheus prints floats with Go's shortest round-trip formatting: parsing gives the bits back.
    expect(matrix[0]!.values!.map(([, v]) => Number(v))).toEqual(values);

    const beforeStale = await query('kanshi_interop_stale', now - 45_000);
    expect(beforeStale.map((r) => r.value?.[1])).toEqual(['7']);
    // Within the 5 m lookback, only a real staleness marker hides the last value.
    expect(await query('kanshi_interop_stale', now - 29_000)).toEqual([]);
  });
});

// A real crash: a child process (the compiled queue from dist/, built by `npm run test:interop`)
// enqueues and acknowledges batches and reports each one after it resolved; it is killed with
// SIGKILL at a random point. Everything reported enqueued must be there, in order, and nothing
// reported acknowledged may come back.
describe('agent send queue across kill -9', () => {
  const child = `
    const { DiskQueue } = await import(process.argv[2]);
    const q = await DiskQueue.open({ dir: process.argv[3], maxBytes: 64 << 20, maxAgeMs: 3_600_000, segmentMaxBytes: 64 * 1024 });
    const body = new Uint8Array(300);
    let next = Number(process.argv[4]);
    for (;;) {
      new DataView(body.buffer).setUint32(0, next);
      await q.enqueue({ kind: 'metrics', body, count: 1 });
      process.stdout.write('enqueued ' + next + '\\n');
      next++;
      if (next % 3 === 0) {
        const b = await q.peek();
        await q.ack(b);
        process.stdout.write('acked ' + new DataView(b.body.buffer, b.body.byteOffset).getUint32(0) + '\\n');
      }
    }
  `;

  it('keeps every enqueued batch and resends no acknowledged one', async () => {
    const distQueue = join(process.cwd(), 'dist/agent/shipper/disk-queue.js');
    const script = join(tmp, 'crash-child.mjs');
    await writeFile(script, child);
    const dir = join(tmp, 'crash-queue');
    let nextId = 0;
    let lastAcked = -1;
    for (let round = 0; round < 4; round++) {
      const killAfter = 20 + Math.floor(Math.random() * 200);
      const proc = spawn(process.execPath, [script, `file://${distQueue}`, dir, String(nextId)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split('enqueued ').length - 1 >= killAfter) {
            proc.kill('SIGKILL');
            resolve();
          }
        });
        void exited.then(() => reject(new Error(`child exited early: ${err}`)));
      });
      await exited;
      const lines = out.split('\n').filter((l) => l !== '');
      const enqueued = lines.filter((l) => l.startsWith('enqueued ')).map((l) => Number(l.slice(9)));
      const acked = lines.filter((l) => l.startsWith('acked ')).map((l) => Number(l.slice(6)));
      if (acked.length > 0) lastAcked = acked[acked.length - 1]!;

      // Reopen (as the restarted agent would) and read everything pending without acknowledging.
      const q = await DiskQueue.open({
        dir,
        maxBytes: 64 << 20,
        maxAgeMs: 3_600_000,
        segmentMaxBytes: 64 * 1024,
      });
      const pending: number[] = [];
      for (;;) {
        const b = await q.peek();
        if (!b) break;
        pending.push(new DataView(b.body.buffer, b.body.byteOffset).getUint32(0));
        await q.ack(b);
      }
      await q.close();
      // Pending: consecutive ids after the last acknowledged one (an ack the child did not get to
      // report may have moved one further), covering every id reported enqueued.
      expect(pending[0]! - lastAcked).toBeGreaterThanOrEqual(1);
      expect(pending[0]! - lastAcked).toBeLessThanOrEqual(2);
      expect(pending).toEqual(Array.from({ length: pending.length }, (_, i) => pending[0]! + i));
      expect(pending.at(-1)!).toBeGreaterThanOrEqual(enqueued.at(-1)!);
      // The reopen acknowledged everything; the next round continues with fresh ids.
      lastAcked = pending.at(-1)!;
      nextId = lastAcked + 1;
    }
  });
});
