// npm run bench:rules [-- --rules 1000 --series 10000 --seconds 180 --json]
//
// Rule evaluation at scale: 1 000 alerting rules (instant comparisons, aggregations, rate() and
// max_over_time() over 5 m, half with `for`) in 10 groups evaluated every 15 s, over 10 k series
// (5 k gauges, 5 k counters) that a loopback exporter serves with fresh values at every scrape.
// The compiled Kanshi server (bin/kanshi.js server, embedded TSDB) and Debian's prometheus
// scrape the same exporter every 15 s and load the same rule file. Printed: evaluation time per
// cycle (sum of the groups' last duration, mean over the measured cycles), the share of one core
// that evaluation takes (that time / 15 s), and each process's CPU share over the whole run
// (scrape + store + rules), from /proc/PID/stat. A benchmark, not a test: figures depend on the
// machine. Aim (issue 5): Kanshi under 25 % of one core.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';

const { values } = parseArgs({
  options: {
    rules: { type: 'string', default: '1000' },
    series: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '180' },
    warmup: { type: 'string', default: '75' },
    json: { type: 'boolean', default: false },
    // Only the evaluation, in this process: the rule groups over the embedded TSDB fed directly
    // (no HTTP, no scrape), CPU time per cycle from process.cpuUsage(). No Prometheus.
    'eval-only': { type: 'boolean', default: false },
    cycles: { type: 'string', default: '10' },
  },
});
const numRules = Number(values.rules);
const numSeries = Number(values.series);
const measureSeconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const INTERVAL_S = 15;
const GROUPS = 10;
const HOSTS = 100; // series per selector group
const repo = path.resolve(import.meta.dirname, '..');
const clkTck = 100; // USER_HZ on Linux

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** utime+stime of `pid`, seconds. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck;
}

async function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitReady(url, child, what) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready`);
}

/** mulberry32 */
function prng(seed) {
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
 * The exporter: half the series are `bench_load` gauges (a random walk in 0..100), half
 * `bench_requests_total` counters, each family in selector groups of {@link HOSTS} hosts.
 */
function startExporter() {
  const half = Math.floor(numSeries / 2);
  const sel = Math.max(1, Math.floor(half / HOSTS));
  const rand = prng(42);
  const load = new Float64Array(half).map(() => 30 + rand() * 40);
  const reqs = new Float64Array(half);
  const names = [];
  for (let i = 0; i < half; i++) names.push(`{sel="s${Math.floor(i / HOSTS) % sel}",host="h${i % HOSTS}"}`);
  // Values move once per interval, whoever scrapes: both servers see the same data.
  let step = Math.floor(Date.now() / (INTERVAL_S * 1000));
  const advance = () => {
    for (let i = 0; i < half; i++) {
      // Mean-reverting around 50 (σ ≈ 13), so that a few hundred alerts are active, not thousands.
      load[i] = 50 + 0.9 * (load[i] - 50) + (rand() - 0.5) * 20;
      reqs[i] += rand() * 1000 * (1 + (i % 7));
    }
  };
  const server = createServer((_req, res) => {
    const now = Math.floor(Date.now() / (INTERVAL_S * 1000));
    for (; step < now; step++) advance();
    const parts = ['# TYPE bench_load gauge\n'];
    for (let i = 0; i < half; i++) parts.push(`bench_load${names[i]} ${load[i].toFixed(2)}\n`);
    parts.push('# TYPE bench_requests_total counter\n');
    for (let i = 0; i < half; i++) parts.push(`bench_requests_total${names[i]} ${Math.round(reqs[i])}\n`);
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(parts.join(''));
  });
  return { server, selectors: sel };
}

/** The rule file: `numRules` alerting rules over the selector groups, in {@link GROUPS} groups. */
function ruleFile(selectors) {
  const lines = ['groups:'];
  const perGroup = Math.ceil(numRules / GROUPS);
  for (let g = 0; g < GROUPS; g++) {
    lines.push(`  - name: bench-${g}`, `    interval: ${INTERVAL_S}s`, '    rules:');
    for (let r = g * perGroup; r < Math.min(numRules, (g + 1) * perGroup); r++) {
      const s = `s${r % selectors}`;
      const exprs = [
        `bench_load{sel="${s}"} > 90`,
        `avg by (sel) (bench_load{sel="${s}"}) > 52`,
        `rate(bench_requests_total{sel="${s}"}[1m]) > 350`,
        `max_over_time(bench_load{sel="${s}"}[5m]) > 95`,
      ];
      lines.push(
        `      - alert: BenchRule${r}`,
        `        expr: '${exprs[r % exprs.length]}'`,
        ...(r % 2 === 0 ? ['        for: 5m'] : []),
        '        labels: { severity: warning }',
        '        annotations: { summary: "{{ $labels.host }} at {{ $value }}" }',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Sum of `name`'s samples in an exposition text. */
function sumMetric(text, name) {
  let sum = 0;
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    n++;
  }
  return { sum, n };
}

/** `--eval-only`: CPU of `RuleGroup.evaluate` per cycle over the TSDB, on a fake timeline. */
async function evalOnly() {
  const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
  const { TSDB } = await import(dist('tsdb/tsdb.js'));
  const { Engine, queryFnFor } = await import(dist('promql/index.js'));
  const { RuleGroup } = await import(dist('rules/group.js'));
  const { parseRuleFile } = await import(dist('rules/rule-file.js'));
  const { labelsFromRecord } = await import(dist('model/labels.js'));
  const dbDir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-bench-rules-eval-'));
  const store = await TSDB.open(dbDir);
  let now = Date.now() - 3_600_000;
  const clock = { now: () => now, sleep: async () => {} };
  const half = Math.floor(numSeries / 2);
  const sel = Math.max(1, Math.floor(half / HOSTS));
  const rand = prng(42);
  const mk = (name, i) =>
    labelsFromRecord({
      __name__: name,
      sel: `s${Math.floor(i / HOSTS) % sel}`,
      host: `h${i % HOSTS}`,
      job: 'bench',
    });
  const loadL = Array.from({ length: half }, (_, i) => mk('bench_load', i));
  const reqL = Array.from({ length: half }, (_, i) => mk('bench_requests_total', i));
  const load = new Float64Array(half).map(() => 30 + rand() * 40);
  const reqs = new Float64Array(half);
  const ingest = async () => {
    const app = store.appender();
    for (let i = 0; i < half; i++) {
      load[i] = 50 + 0.9 * (load[i] - 50) + (rand() - 0.5) * 20;
      reqs[i] += rand() * 1000 * (1 + (i % 7));
      app.append(loadL[i], now, load[i]);
      app.append(reqL[i], now, Math.round(reqs[i]));
    }
    await app.commit();
  };
  const { groups: configs, diagnostics } = parseRuleFile(ruleFile(sel), 'rules.yml');
  if (!configs) throw new Error(JSON.stringify(diagnostics));
  const queryFn = queryFnFor(new Engine(store));
  const groups = configs.map((c) => new RuleGroup(c, { queryFn, appendable: store, clock }));
  for (let i = 0; i < 25; i++) {
    await ingest();
    now += INTERVAL_S * 1000;
  }
  const cycles = Number(values.cycles);
  let cpu = 0;
  let wall = 0;
  for (let c = 0; c < cycles + 2; c++) {
    await ingest();
    const u = process.cpuUsage();
    const t = performance.now();
    for (const g of groups) await g.evaluate(now);
    const d = process.cpuUsage(u);
    if (c >= 2) {
      cpu += (d.user + d.system) / 1e6;
      wall += (performance.now() - t) / 1000;
    }
    now += INTERVAL_S * 1000;
  }
  const alerts = groups
    .flatMap((g) => g.rules)
    .reduce((n, r) => n + [...r.active.values()].filter((a) => a.state !== 'inactive').length, 0);
  await store.close();
  await rm(dbDir, { recursive: true, force: true });
  const result = {
    rules: numRules,
    series: numSeries,
    cycles,
    evalCpuSecondsPerCycle: cpu / cycles,
    evalWallSecondsPerCycle: wall / cycles,
    evalCpuShareOfOneCorePercent: (cpu / cycles / INTERVAL_S) * 100,
    activeAlerts: alerts,
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else
    console.log(
      `${numRules} rules over ${numSeries} series, ${cycles} cycles in-process: ${(result.evalCpuSecondsPerCycle * 1000).toFixed(0)} ms CPU and ${(result.evalWallSecondsPerCycle * 1000).toFixed(0)} ms wall per cycle = ${result.evalCpuShareOfOneCorePercent.toFixed(1)} % of one core at ${INTERVAL_S} s; ${alerts} active alerts`,
    );
}

if (values['eval-only']) {
  await evalOnly();
  process.exit(0);
}

const children = [];
const dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-bench-rules-'));
const { server: exporter, selectors } = startExporter();
try {
  await new Promise((r) => exporter.listen(0, '127.0.0.1', r));
  const target = `127.0.0.1:${exporter.address().port}`;
  await writeFile(path.join(dir, 'rules.yml'), ruleFile(selectors));
  const common = `global:
  scrape_interval: ${INTERVAL_S}s
  scrape_timeout: 10s
  evaluation_interval: ${INTERVAL_S}s
rule_files: [rules.yml]
scrape_configs:
  - job_name: bench
    static_configs: [{ targets: ['${target}'] }]
`;
  const kanshiPort = await freePort();
  const promPort = await freePort();
  await writeFile(path.join(dir, 'prometheus.yml'), common);
  await writeFile(
    path.join(dir, 'kanshi.yml'),
    `${common}server:\n  listen: 127.0.0.1:${kanshiPort}\n  data_dir: kanshi-data\n  watch_config: false\n`,
  );
  const kanshi = spawn(
    process.execPath,
    [
      path.join(repo, 'bin/kanshi.js'),
      'server',
      '--config',
      path.join(dir, 'kanshi.yml'),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(kanshi);
  const prom = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: 'ignore' },
  );
  children.push(prom);
  const kanshiUrl = `http://127.0.0.1:${kanshiPort}`;
  const promUrl = `http://127.0.0.1:${promPort}`;
  await waitReady(kanshiUrl, kanshi, 'kanshi');
  await waitReady(promUrl, prom, 'prometheus');

  const bar = values.json
    ? undefined
    : new cliProgress.SingleBar(
        { format: ' {phase} [{bar}] {value}/{total} s' },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(warmupSeconds + measureSeconds, 0, { phase: 'warm-up ' });
  for (let s = 0; s < warmupSeconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    bar?.increment();
  }
  bar?.update(warmupSeconds, { phase: 'measure ' });
  const k0 = await cpuSeconds(kanshi.pid);
  const p0 = await cpuSeconds(prom.pid);
  const counters = async () => {
    const kt = await (await fetch(`${kanshiUrl}/metrics`)).text();
    const pt = await (await fetch(`${promUrl}/metrics`)).text();
    return {
      kEvals: sumMetric(kt, 'kanshi_rule_evaluations_total').sum,
      kMissed: sumMetric(kt, 'kanshi_rule_group_iterations_missed_total').sum,
      kFailures: sumMetric(kt, 'kanshi_rule_evaluation_failures_total').sum,
      pEvals: sumMetric(pt, 'prometheus_rule_evaluations_total').sum,
      pMissed: sumMetric(pt, 'prometheus_rule_group_iterations_missed_total').sum,
      pFailures: sumMetric(pt, 'prometheus_rule_evaluation_failures_total').sum,
    };
  };
  const c0 = await counters();
  const t0 = performance.now();
  const cycles = { kanshi: [], prom: [] };
  let kanshiRss = 0;
  let promRss = 0;
  const sample = async () => {
    const kt = await (await fetch(`${kanshiUrl}/metrics`)).text();
    const pt = await (await fetch(`${promUrl}/metrics`)).text();
    cycles.kanshi.push(sumMetric(kt, 'kanshi_rule_group_last_duration_seconds'));
    cycles.prom.push(sumMetric(pt, 'prometheus_rule_group_last_duration_seconds'));
    kanshiRss = Math.max(kanshiRss, await rssMiB(kanshi.pid));
    promRss = Math.max(promRss, await rssMiB(prom.pid));
  };
  for (let s = 1; s <= measureSeconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (s % INTERVAL_S === 0) await sample();
    bar?.increment();
  }
  bar?.stop();
  const wall = (performance.now() - t0) / 1000;
  const k1 = await cpuSeconds(kanshi.pid);
  const p1 = await cpuSeconds(prom.pid);
  const c1 = await counters();
  const alerts = async (url) =>
    ((await (await fetch(`${url}/api/v1/alerts`)).json()).data?.alerts ?? []).length;
  const mean = (xs) => xs.reduce((a, b) => a + b.sum, 0) / Math.max(1, xs.length);
  const kEval = mean(cycles.kanshi);
  const pEval = mean(cycles.prom);
  const result = {
    seconds: Math.round(wall),
    workload: {
      rules: numRules,
      groups: GROUPS,
      series: numSeries,
      intervalS: INTERVAL_S,
      kanshiGroupsSeen: cycles.kanshi.at(-1)?.n ?? 0,
      prometheusGroupsSeen: cycles.prom.at(-1)?.n ?? 0,
    },
    kanshi: {
      evalSecondsPerCycle: kEval,
      evalShareOfOneCorePercent: (kEval / INTERVAL_S) * 100,
      processCpuPercentOfOneCore: ((k1 - k0) / wall) * 100,
      rssMiB: kanshiRss,
      activeAlerts: await alerts(kanshiUrl),
      ruleEvaluations: c1.kEvals - c0.kEvals,
      evaluationFailures: c1.kFailures - c0.kFailures,
      missedIterations: c1.kMissed - c0.kMissed,
    },
    prometheus: {
      evalSecondsPerCycle: pEval,
      evalShareOfOneCorePercent: (pEval / INTERVAL_S) * 100,
      processCpuPercentOfOneCore: ((p1 - p0) / wall) * 100,
      rssMiB: promRss,
      activeAlerts: await alerts(promUrl),
      ruleEvaluations: c1.pEvals - c0.pEvals,
      evaluationFailures: c1.pFailures - c0.pFailures,
      missedIterations: c1.pMissed - c0.pMissed,
    },
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const k = result.kanshi;
    const p = result.prometheus;
    const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
    const ratio = (a, b) =>
      Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
    console.log(
      `\n${numRules} alerting rules in ${GROUPS} groups over ${numSeries} series, every ${INTERVAL_S} s, measured for ${result.seconds} s`,
    );
    console.log('| measure | kanshi | prometheus | kanshi / prometheus |');
    console.log('| --- | --- | --- | --- |');
    console.log(
      `| rule evaluation per cycle, ms | ${f(k.evalSecondsPerCycle * 1000, 0)} | ${f(p.evalSecondsPerCycle * 1000, 0)} | ${ratio(k.evalSecondsPerCycle, p.evalSecondsPerCycle)} |`,
    );
    console.log(
      `| rule evaluation, % of one core | ${f(k.evalShareOfOneCorePercent, 1)} | ${f(p.evalShareOfOneCorePercent, 1)} | |`,
    );
    console.log(
      `| process CPU (scrape + store + rules), % of one core | ${f(k.processCpuPercentOfOneCore, 1)} | ${f(p.processCpuPercentOfOneCore, 1)} | ${ratio(k.processCpuPercentOfOneCore, p.processCpuPercentOfOneCore)} |`,
    );
    console.log(`| RSS, MiB (max) | ${f(k.rssMiB, 0)} | ${f(p.rssMiB, 0)} | ${ratio(k.rssMiB, p.rssMiB)} |`);
    console.log(`| active alerts at the end | ${k.activeAlerts} | ${p.activeAlerts} | |`);
    console.log(
      `| rule evaluations (failed, missed group iterations) | ${k.ruleEvaluations} (${k.evaluationFailures}, ${k.missedIterations}) | ${p.ruleEvaluations} (${p.evaluationFailures}, ${p.missedIterations}) | |`,
    );
    console.log(
      '\nProcess CPU is the figure to read: evaluation time per cycle is wall time, which grows when the machine is busy.',
    );
  }
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
  );
  await new Promise((r) => exporter.close(r));
  await rm(dir, { recursive: true, force: true });
}
