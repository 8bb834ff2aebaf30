/**
 * Rollups benchmark (issue 3): a 30-day range query of `rate(x_total[1h])` at a 1 h step over a few
 * hundred counters, read from raw samples (`raw=true`, maxResolutionMs 0) and from the 1 h rollups,
 * on one store holding both. Prints the median of several runs of each and the ratio.
 *
 *   npm run bench:rollup [-- series=300 days=30 interval=60 runs=5]
 *
 * Runs on the compiled JS in dist/ (the npm script compiles first). A benchmark, not a test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// KANSHI_DIST: another build folder (absolute), e.g. while dist/ is being rebuilt by someone else.
const DIST = process.env.KANSHI_DIST
  ? new URL(`file://${process.env.KANSHI_DIST.replace(/\/?$/, '/')}`)
  : new URL('../dist/', import.meta.url);
const { TSDB } = await import(new URL('tsdb/tsdb.js', DIST).href);
const { Engine } = await import(new URL('promql/index.js', DIST).href);
const { labelsFromRecord } = await import(new URL('model/labels.js', DIST).href);

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.split('=');
    return [k, Number(v)];
  }),
);
const SERIES = args.series ?? 300;
const DAYS = args.days ?? 30;
const INTERVAL_MS = (args.interval ?? 60) * 1000;
const RUNS = args.runs ?? 5;
const H = 3_600_000;
const D = 24 * H;

const dir = await mkdtemp(join(tmpdir(), 'kanshi-bench-rollup-'));
try {
  const db = await TSDB.open(dir, { wal: false, retentionMs: (DAYS + 30) * D });
  const end = Math.floor(Date.now() / H) * H;
  const start = end - DAYS * D;
  const labels = Array.from({ length: SERIES }, (_, i) =>
    labelsFromRecord({ __name__: 'x_total', instance: `host-${i % 50}`, path: `/p${Math.floor(i / 50)}` }),
  );
  const values = new Float64Array(SERIES);
  const t0 = performance.now();
  let samples = 0;
  for (let t = start; t < end;) {
    const app = db.appender();
    const stop = Math.min(end, t + H);
    for (; t < stop; t += INTERVAL_MS) {
      for (let i = 0; i < SERIES; i++) {
        values[i] = (t / INTERVAL_MS) % 5000 === i ? 0 : values[i] + ((i * 7 + t / INTERVAL_MS) % 13);
        app.append(labels[i], t + (i % 7) * 1000, values[i]);
        samples++;
      }
    }
    await app.commit();
  }
  await db.compact();
  const loadS = (performance.now() - t0) / 1000;
  const st = db.stats();
  console.log(
    `loaded ${SERIES} series x ${DAYS} d at ${INTERVAL_MS / 1000} s (${(samples / 1e6).toFixed(1)} M samples) in ${loadS.toFixed(0)} s; ` +
      `raw blocks ${st.blocks} (${(st.blockBytes / 2 ** 20).toFixed(0)} MiB), rollup blocks ${st.rollupBlocks} (${(st.rollupBytes / 2 ** 20).toFixed(1)} MiB)`,
  );

  const engine = new Engine(db);
  const range = { startMs: start + H, endMs: end - H, stepMs: H };
  const query = 'rate(x_total[1h])';
  const time = async (options) => {
    const ms = [];
    let points = 0;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const res = await engine.rangeQuery(query, range, options);
      ms.push(performance.now() - t);
      points = res.value.matrix.reduce((n, s) => n + s.ts.length, 0);
    }
    ms.sort((a, b) => a - b);
    return { median: ms[Math.floor(ms.length / 2)], points };
  };
  const raw = await time({ maxResolutionMs: 0 });
  const rolled = await time({});
  console.log(`query: ${query} over ${DAYS} d at a 1 h step (${RUNS} runs each, median)`);
  console.log(`  raw samples: ${raw.median.toFixed(0)} ms (${raw.points} points)`);
  console.log(`  1 h rollups: ${rolled.median.toFixed(0)} ms (${rolled.points} points)`);
  console.log(`  ratio raw / rollups: ${(raw.median / rolled.median).toFixed(1)}x`);
  await db.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
