/**
 * TSDB micro-benchmark: appends a deterministic node_exporter-like workload (10 k series by
 * default, 15 s scrape interval, one commit per target per scrape) into the embedded TSDB and
 * prints append throughput, bytes per sample in head chunks and in blocks, and heap per series.
 *
 *   node --expose-gc --import tsx bench/tsdb-micro.ts [series=10000] [hours=4] [wal=1]
 *
 * A benchmark, not a test: numbers depend on the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromRecord, type Labels } from '../src/model/labels.js';
import { TSDB } from '../src/tsdb/tsdb.js';

const numSeries = Number(process.argv[2] ?? 10_000);
const hours = Number(process.argv[3] ?? 4);
const useWal = (process.argv[4] ?? '1') !== '0';
const SERIES_PER_TARGET = 500;
const STEP = 15_000;

/** mulberry32, so every run writes the same workload. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The mix of a node_exporter's series: about half never change between scrapes (sizes, info,
 * idle interfaces' error counters), a fifth are slow integer counters, then byte counters, CPU
 * seconds (2-decimal floats), memory gauges in pages and a few full-precision float gauges
 * (collector durations). Scrape timestamps jitter by a few ms in 1% of scrapes (Prometheus
 * aligns the rest, scrape.timestamp-tolerance).
 */
type Kind = 'constant' | 'slow' | 'bytes' | 'cpu' | 'memory' | 'float';
interface Gen {
  labels: Labels;
  kind: Kind;
  v: number;
}

const r = rng(1);
const kinds: [Kind, number][] = [
  ['constant', 0.45],
  ['slow', 0.2],
  ['bytes', 0.1],
  ['cpu', 0.1],
  ['memory', 0.1],
  ['float', 0.05],
];
const names: Record<Kind, string> = {
  constant: 'node_filesystem_size_bytes',
  slow: 'node_network_receive_packets_total',
  bytes: 'node_network_receive_bytes_total',
  cpu: 'node_cpu_seconds_total',
  memory: 'node_memory_Active_bytes',
  float: 'node_scrape_collector_duration_seconds',
};
const targets: Gen[][] = [];
for (let i = 0; i < numSeries; i++) {
  const target = Math.floor(i / SERIES_PER_TARGET);
  let x = r();
  let kind: Kind = 'constant';
  for (const [k, p] of kinds) {
    if (x < p) {
      kind = k;
      break;
    }
    x -= p;
  }
  const g: Gen = {
    labels: labelsFromRecord({
      __name__: names[kind],
      instance: `host-${target}:9100`,
      job: 'node',
      series: String(i % SERIES_PER_TARGET),
    }),
    kind,
    v: Math.floor(r() * 1e9),
  };
  (targets[target] ??= []).push(g);
}

function next(g: Gen): number {
  switch (g.kind) {
    case 'constant':
      return g.v;
    case 'slow':
      return r() < 0.5 ? (g.v += Math.floor(r() * 10)) : g.v;
    case 'bytes':
      return (g.v += Math.floor(r() * 20_000));
    case 'cpu':
      return (g.v = Math.round((g.v + r() * 15) * 100) / 100);
    case 'memory':
      return r() < 0.3 ? (g.v += 4096 * Math.floor(r() * 200 - 100)) : g.v;
    case 'float':
      return (g.v = r() * 0.05);
  }
}

const dir = await mkdtemp(join(tmpdir(), 'kanshi-bench-tsdb-'));
const db = await TSDB.open(dir, { wal: useWal, retentionMs: 1e12 });
const t0 = 1_700_000_000_000;
const scrapes = Math.floor((hours * 3_600_000) / STEP);
let samples = 0;
const heapBefore = process.memoryUsage().heapUsed;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (let s = 0; s < scrapes; s++) {
  // Every target is scraped in the same 15 s: their commits run concurrently (group commit).
  const t = t0 + s * STEP + (r() < 0.01 ? Math.floor(r() * 5) : 0);
  const commits: Promise<void>[] = [];
  for (const gens of targets) {
    const app = db.appender();
    for (const g of gens) {
      if (app.append(g.labels, t, next(g)) !== null) throw new Error('rejected');
      samples++;
    }
    commits.push(app.commit());
  }
  await Promise.all(commits);
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
global.gc?.();
const heapAfter = process.memoryUsage().heapUsed;

let headBytes = 0;
let headSamples = 0;
for (const s of db.head.allSeries()) {
  for (const c of s.sealed?.list() ?? []) {
    headBytes += c.bytes.length;
    headSamples += c.numSamples;
  }
  if (s.open) {
    headBytes += s.open.bytes().length;
    headSamples += s.open.numSamples;
  }
}
await db.compact();
const st = db.stats();
// Read everything back once (blocks and head) through the Querier port.
const qStart = process.hrtime.bigint();
const qCpu = process.cpuUsage();
const q = db.querier(0, Number.MAX_SAFE_INTEGER);
let read = 0;
for (const s of await q.select([{ type: '=', name: 'job', value: 'node' }])) {
  const it = s.iterator();
  while (it.next()) read++;
}
q.close();
const qSecs = Number(process.hrtime.bigint() - qStart) / 1e9;
const qCpuUsed = process.cpuUsage(qCpu);
const qCpuSecs = (qCpuUsed.user + qCpuUsed.system) / 1e6;
let chunks = 0;
for (const m of db.blocks()) chunks += m.stats.numChunks;
await db.close();
await rm(dir, { recursive: true, force: true });

const fmt = (x: number, d = 2) => x.toFixed(d);
console.log(
  `tsdb-micro: ${numSeries} series, ${scrapes} scrapes of ${STEP / 1000}s (${hours} h), wal=${useWal}`,
);
console.log(`  samples appended       ${samples}`);
console.log(`  append+commit          ${fmt(samples / secs / 1e6, 3)} M samples/s wall (${fmt(secs)} s)`);
console.log(
  `  append+commit CPU      ${fmt(samples / cpuSecs / 1e6, 3)} M samples/s per CPU second (${fmt(cpuSecs)} s incl. workload generation)`,
);
console.log(`  head chunk bytes/sample ${fmt(headBytes / headSamples, 3)} (${headSamples} samples in head)`);
console.log(
  `  block bytes/sample      ${fmt(st.bytesPerSample, 3)} (all files; ${st.blocks} blocks, ${st.blockSamples} samples, ${chunks} chunks)`,
);
console.log(
  `  select + iterate all    ${fmt(read / qCpuSecs / 1e6, 2)} M samples/s per CPU second (${read} samples, ${fmt(qSecs)} s wall)`,
);
console.log(
  `  heap per series         ${fmt((heapAfter - heapBefore) / numSeries, 0)} bytes (head holding ${fmt(headSamples / numSeries, 0)} samples/series)`,
);
