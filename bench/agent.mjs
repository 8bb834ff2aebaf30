// npm run bench:agent [-- --seconds 180 --json]
//
// The agent's own cost under a realistic load — 50 checks/min, 10 metric plugins/min and host
// metrics every 15 s — measured on the compiled agent (dist/), next to Debian's
// prometheus-node-exporter scraped every 15 s (what a Prometheus user runs for the same host
// metrics). Prints CPU share, RSS and host collection time per cycle for both, and the ratios.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, chmod, access } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
    // Extra node flags for the agent process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    'agent-node-args': { type: 'string', default: '' },
  },
});
const measureSeconds = Number(values.seconds);
const warmupSeconds = 20;
const repo = path.resolve(import.meta.dirname, '..');
const clkTck = 100; // USER_HZ on Linux
const nodeExporter = '/usr/bin/prometheus-node-exporter';
const plugins = '/usr/lib/nagios/plugins';

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function exists(p) {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** utime+stime (own) and cutime+cstime (reaped children) in seconds, from /proc/PID/stat. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    own: (Number(f[11]) + Number(f[12])) / clkTck,
    children: (Number(f[13]) + Number(f[14])) / clkTck,
  };
}

/**
 * The agent's long-lived helper processes (the spawn helper): children of `pid` named perl. Their
 * own CPU and memory are the agent's cost too; the commands they fork are counted as children.
 */
async function helperPids(pid) {
  const out = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && comm === 'perl') out.push(Number(e));
    } catch {}
  }
  return out;
}

/** CPU of the agent and its helpers: own = agent + helpers' own, children = all reaped commands. */
async function agentCpuSeconds(pid, helpers) {
  const total = await cpuSeconds(pid);
  for (const h of helpers) {
    const c = await cpuSeconds(h);
    total.own += c.own;
    total.children += c.children;
  }
  return total;
}

async function rssBytes(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function waitHttp(url, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

/** Sum and count of a histogram's series matching `match` in a text exposition. */
function histogram(text, name, match) {
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(match)) continue;
    if (line.startsWith(`${name}_sum`)) sum += Number(line.split(' ').pop());
    if (line.startsWith(`${name}_count`)) count += Number(line.split(' ').pop());
  }
  return { sum, count };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-bench-agent-'));
const children = [];
try {
  // The workload.
  const hasPlugins = await exists(`${plugins}/check_dummy`);
  const checks = [];
  for (let i = 0; i < 50; i++) {
    let command;
    if (!hasPlugins) command = ['/bin/sh', '-c', `echo "OK - check ${i} | v=${i};50;80"`];
    else if (i % 10 === 0) command = [`${plugins}/check_load`, '-w', '100,100,100', '-c', '200,200,200'];
    else if (i % 10 === 1) command = [`${plugins}/check_disk`, '-w', '1%', '-c', '1%', '-p', '/'];
    else command = [`${plugins}/check_dummy`, '0', `check ${i} fine`];
    checks.push({ name: `check-${i}`, command, interval: '1m' });
  }
  const pluginScript = path.join(dir, 'plugin.sh');
  await writeFile(
    pluginScript,
    '#!/bin/sh\nnow=$(date +%s)\nfor i in 1 2 3 4 5 6 7 8 9 10; do printf "custom.bench.m%s\\t%s\\t%s\\n" "$i" "$i" "$now"; done\n',
  );
  await chmod(pluginScript, 0o755);
  const pluginConfigs = Array.from({ length: 10 }, (_, i) => ({
    name: `plugin-${i}`,
    command: [pluginScript],
    interval: '1m',
  }));

  const [serverPort, agentPort, nePort] = [await freePort(), await freePort(), await freePort()];
  const config = {
    agent: {
      hostname: 'bench',
      listen: `127.0.0.1:${agentPort}`,
      host_metrics: { interval: '15s' },
      checks,
      plugins: pluginConfigs,
      shipper: { url: `http://127.0.0.1:${serverPort}` },
    },
  };
  const configFile = path.join(dir, 'kanshi.yml');
  await writeFile(configFile, JSON.stringify(config, null, 2)); // JSON is YAML

  const kanshi = path.join(repo, 'bin/kanshi.js');
  const server = spawn(
    process.execPath,
    [kanshi, 'server', '--listen', `127.0.0.1:${serverPort}`, '--data', path.join(dir, 'server')],
    { stdio: 'ignore' },
  );
  children.push(server);
  await waitHttp(`http://127.0.0.1:${serverPort}/-/ready`);
  const agent = spawn(
    process.execPath,
    [
      ...values['agent-node-args'].split(' ').filter((a) => a !== ''),
      kanshi,
      'agent',
      '--config',
      configFile,
      '--data',
      path.join(dir, 'agent'),
    ],
    { stdio: 'ignore' },
  );
  children.push(agent);
  await waitHttp(`http://127.0.0.1:${agentPort}/-/ready`);

  let ne;
  const hasNodeExporter = await exists(nodeExporter);
  if (hasNodeExporter) {
    ne = spawn(nodeExporter, [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
    children.push(ne);
    await waitHttp(`http://127.0.0.1:${nePort}/metrics`);
  }
  // Scrape node_exporter every 15 s, as Prometheus would, timing each scrape.
  const neScrapes = [];
  let neCollectorSeconds = 0;
  const scrapeNe = async () => {
    const t0 = performance.now();
    const text = await (await fetch(`http://127.0.0.1:${nePort}/metrics`)).text();
    neScrapes.push((performance.now() - t0) / 1000);
    for (const line of text.split('\n')) {
      if (line.startsWith('node_scrape_collector_duration_seconds{'))
        neCollectorSeconds += Number(line.split(' ').pop());
    }
  };
  const neTimer = hasNodeExporter ? setInterval(() => void scrapeNe(), 15_000) : undefined;
  if (hasNodeExporter) await scrapeNe();

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
  const agentMetrics0 = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
  const helpers = await helperPids(agent.pid);
  const a0 = await agentCpuSeconds(agent.pid, helpers);
  const n0 = hasNodeExporter ? await cpuSeconds(ne.pid) : undefined;
  const neScrapes0 = neScrapes.length;
  const neCollector0 = neCollectorSeconds;
  const loadStart = os.loadavg();
  const t0 = performance.now();
  let agentRssMax = 0;
  let neRssMax = 0;
  bar?.update(warmupSeconds, { phase: 'measure ' });
  for (let s = 0; s < measureSeconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    let rss = (await rssBytes(agent.pid)).rss;
    for (const h of helpers) rss += (await rssBytes(h)).rss;
    agentRssMax = Math.max(agentRssMax, rss);
    if (hasNodeExporter) neRssMax = Math.max(neRssMax, (await rssBytes(ne.pid)).rss);
    bar?.increment();
  }
  bar?.stop();
  const wall = (performance.now() - t0) / 1000;
  const a1 = await agentCpuSeconds(agent.pid, helpers);
  const n1 = hasNodeExporter ? await cpuSeconds(ne.pid) : undefined;
  const agentMetrics1 = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
  clearInterval(neTimer);

  const h0 = histogram(agentMetrics0, 'kanshi_agent_job_duration_seconds', 'kind="host"');
  const h1 = histogram(agentMetrics1, 'kanshi_agent_job_duration_seconds', 'kind="host"');
  const hostCycles = h1.count - h0.count;
  const agentHostMs = hostCycles > 0 ? ((h1.sum - h0.sum) / hostCycles) * 1000 : NaN;
  const checkRuns =
    histogram(agentMetrics1, 'kanshi_agent_job_duration_seconds', 'kind="check"').count -
    histogram(agentMetrics0, 'kanshi_agent_job_duration_seconds', 'kind="check"').count;
  const pluginRuns =
    histogram(agentMetrics1, 'kanshi_agent_job_duration_seconds', 'kind="plugin"').count -
    histogram(agentMetrics0, 'kanshi_agent_job_duration_seconds', 'kind="plugin"').count;
  const neCycles = neScrapes.length - neScrapes0;
  const neScrapeMs =
    neCycles > 0 ? (neScrapes.slice(neScrapes0).reduce((x, y) => x + y, 0) / neCycles) * 1000 : NaN;
  const neCollectorMs = neCycles > 0 ? ((neCollectorSeconds - neCollector0) / neCycles) * 1000 : NaN;

  const result = {
    seconds: Math.round(wall),
    // The machine is shared: wall times (host collection, scrape) mean little under load.
    loadAverage1m: { start: loadStart[0], end: os.loadavg()[0] },
    workload: { checksPerMin: 50, pluginsPerMin: 10, hostIntervalS: 15, checkRuns, pluginRuns, hostCycles },
    kanshiAgent: {
      helperProcesses: helpers.length,
      cpuPercentOfOneCore: ((a1.own - a0.own) / wall) * 100,
      cpuSecondsPerMinute: ((a1.own - a0.own) / wall) * 60,
      childrenCpuPercent: ((a1.children - a0.children) / wall) * 100,
      rssMiB: agentRssMax / 2 ** 20,
      hostCollectionMs: agentHostMs,
    },
    nodeExporter: hasNodeExporter
      ? {
          cpuPercentOfOneCore: ((n1.own - n0.own) / wall) * 100,
          rssMiB: neRssMax / 2 ** 20,
          scrapeMs: neScrapeMs,
          collectorSumMs: neCollectorMs,
        }
      : null,
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const k = result.kanshiAgent;
    const n = result.nodeExporter;
    const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
    const ratio = (a, b) =>
      n && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
    console.log(
      `\nagent workload over ${result.seconds} s: ${checkRuns} check runs, ${pluginRuns} plugin runs, ${hostCycles} host cycles` +
        ` (load average ${f(loadStart[0])} at the start, ${f(result.loadAverage1m.end)} at the end)`,
    );
    console.log(
      '| measure | kanshi agent (all of it) | node_exporter (host metrics only) | kanshi / node_exporter |',
    );
    console.log('| --- | --- | --- | --- |');
    console.log(
      `| CPU, % of one core | ${f(k.cpuPercentOfOneCore)} | ${n ? f(n.cpuPercentOfOneCore) : 'n/a'} | ${ratio(k.cpuPercentOfOneCore, n?.cpuPercentOfOneCore)} |`,
    );
    console.log(
      `| RSS, MiB (max) | ${f(k.rssMiB, 1)} | ${n ? f(n.rssMiB, 1) : 'n/a'} | ${ratio(k.rssMiB, n?.rssMiB)} |`,
    );
    console.log(
      `| host collection per cycle, ms | ${f(k.hostCollectionMs)} | ${n ? `${f(n.scrapeMs)} (scrape), ${f(n.collectorSumMs)} (collectors)` : 'n/a'} | ${ratio(k.hostCollectionMs, n?.scrapeMs)} |`,
    );
    console.log(
      `| check/plugin commands' CPU (children), % of one core | ${f(k.childrenCpuPercent)} | – | |`,
    );
  }
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await rm(dir, { recursive: true, force: true });
}
