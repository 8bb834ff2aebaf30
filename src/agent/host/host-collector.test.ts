import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { HostCollector, HOST_COLLECTOR_NAMES } from './host-collector.js';
import type { StatfsResult } from './filesystem.js';
import { RecordingLogger } from '../../base/logger.js';
import { getLabel, labelsToRecord } from '../../model/labels.js';
import type { MetricFamily } from '../../model/metric.js';
import { parsePrometheusText } from '../../exposition/parse-text.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const procPath = join(testdata, 'proc');
const sysPath = join(testdata, 'sys');

interface IndexedFamily {
  type: string;
  help: string;
  samples: Map<string, number>;
}

function index(families: readonly MetricFamily[]): Map<string, IndexedFamily> {
  const out = new Map<string, IndexedFamily>();
  for (const f of families) {
    const samples = new Map<string, number>();
    for (const s of f.samples) samples.set(`${s.name}${JSON.stringify(labelsToRecord(s.labels))}`, s.value);
    out.set(f.name, { type: f.type, help: f.help, samples });
  }
  return out;
}

const fakeStatfs = (): Promise<StatfsResult> =>
  Promise.resolve({ bsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 90 });

describe('HostCollector', () => {
  it('reproduces node_exporter 1.5 output on the same /proc snapshot', async () => {
    // testdata/node-exporter-1.5.0.prom is what Debian's prometheus-node-exporter printed for
    // testdata/proc (--path.procfs=testdata/proc, netlink off). Collectors that read the live
    // system rather than procfs (filesystem, uname, time) and netclass (of which we export a
    // subset) are compared in the interop test.
    // proc/net/stat/nf_conntrack was edited by hand to non-zero values (this VM's are all 0)
    // before node_exporter read it, so the per-CPU hex sums are exercised.
    const golden = parsePrometheusText(await readFile(join(testdata, 'node-exporter-1.5.0.prom'), 'utf8'));
    expect(golden.errors).toEqual([]);
    const collector = new HostCollector({
      procPath,
      enabled: HOST_COLLECTOR_NAMES.filter((n) => !['filesystem', 'netclass', 'uname', 'time'].includes(n)),
    });
    const ours = index(await collector.collect());
    const want = index(golden.families);
    for (const [name, w] of want) {
      expect({ name, type: ours.get(name)?.type, help: ours.get(name)?.help }).toEqual({
        name,
        type: w.type,
        help: w.help,
      });
      expect(Object.fromEntries(ours.get(name)!.samples)).toEqual(Object.fromEntries(w.samples));
    }
    const extra = [...ours.keys()].filter((n) => !want.has(n) && !n.startsWith('node_scrape_collector_'));
    expect(extra).toEqual([]);
  });

  it('reports every collector in node_scrape_collector_success and _duration_seconds', async () => {
    const fams = await new HostCollector({
      procPath,
      sysPath,
      statfs: fakeStatfs,
      machine: 'x86_64',
    }).collect();
    const success = fams.find((f) => f.name === 'node_scrape_collector_success')!;
    const duration = fams.find((f) => f.name === 'node_scrape_collector_duration_seconds')!;
    expect(success.samples.map((s) => [getLabel(s.labels, 'collector'), s.value])).toEqual(
      HOST_COLLECTOR_NAMES.map((n) => [n, 1]),
    );
    expect(duration.samples.map((s) => getLabel(s.labels, 'collector'))).toEqual([...HOST_COLLECTOR_NAMES]);
    for (const s of duration.samples) expect(s.value).toBeGreaterThanOrEqual(0);
  });

  it('returns families sorted by name, each name once', async () => {
    const names = (await new HostCollector({ procPath, sysPath, statfs: fakeStatfs }).collect()).map(
      (f) => f.name,
    );
    expect(names).toEqual([...new Set(names)].sort());
  });

  it('logs and skips a failing collector without failing the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kanshi-host-'));
    try {
      await cp(procPath, dir, { recursive: true });
      await rm(join(dir, 'meminfo'));
      await rm(join(dir, 'pressure'), { recursive: true });
      const logger = new RecordingLogger();
      const fams = await new HostCollector({ procPath: dir, sysPath, statfs: fakeStatfs, logger }).collect();
      const success = fams.find((f) => f.name === 'node_scrape_collector_success')!;
      const byName = Object.fromEntries(
        success.samples.map((s) => [getLabel(s.labels, 'collector'), s.value]),
      );
      expect(byName).toMatchObject({ meminfo: 0, pressure: 0, cpu: 1, loadavg: 1, filesystem: 1 });
      expect(fams.some((f) => f.name.startsWith('node_memory_'))).toBe(false);
      expect(fams.some((f) => f.name === 'node_load1')).toBe(true);
      // A missing file is a failure (warn); a kernel without PSI is "no data" (debug).
      expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.fields.collector)).toEqual([
        'meminfo',
      ]);
      expect(logger.records.find((r) => r.fields.collector === 'pressure')?.level).toBe('debug');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves out families without samples, as node_exporter prints none', async () => {
    const fams = await new HostCollector({
      procPath,
      enabled: ['netdev', 'loadavg'],
      netdevDeviceExclude: /./,
    }).collect();
    expect(fams.map((f) => f.name)).toEqual([
      'node_load1',
      'node_load15',
      'node_load5',
      'node_scrape_collector_duration_seconds',
      'node_scrape_collector_success',
    ]);
  });

  it('rejects an unknown collector name', () => {
    expect(() => new HostCollector({ enabled: ['cpu', 'cpufreq'] })).toThrow(
      /unknown host collector "cpufreq"/,
    );
  });

  it('takes node_time_seconds from the injected clock and machine from the options', async () => {
    const fams = await new HostCollector({
      procPath,
      statfs: fakeStatfs,
      now: () => 1_700_000_000_123,
      machine: 'riscv64',
      enabled: ['time', 'uname'],
    }).collect();
    expect(fams.find((f) => f.name === 'node_time_seconds')?.samples[0]?.value).toBe(1_700_000_000.123);
    const uname = fams.find((f) => f.name === 'node_uname_info')!.samples[0]!;
    expect(labelsToRecord(uname.labels)).toEqual({
      domainname: '(none)',
      machine: 'riscv64',
      nodename: 'vm',
      release: '6.18.44-fc-v782',
      sysname: 'Linux',
      version: '#1 SMP PREEMPT_DYNAMIC @0',
    });
  });

  it('rejects with the reason when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    await expect(
      new HostCollector({ procPath, sysPath, statfs: fakeStatfs }).collect(ac.signal),
    ).rejects.toThrow('shutting down');
  });

  it('serializes overlapping collections so stateful collectors see them in order', async () => {
    const c = new HostCollector({ procPath, sysPath, statfs: fakeStatfs, enabled: ['cpu'] });
    const [a, b] = await Promise.all([c.collect(), c.collect()]);
    expect(index(a).get('node_cpu_seconds_total')?.samples).toEqual(
      index(b).get('node_cpu_seconds_total')?.samples,
    );
  });

  it('collects the live /proc and /sys twice the same way, keeping files open until closed', async () => {
    const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
    const before = await openFds();
    const c = new HostCollector({ enabled: ['loadavg', 'meminfo', 'netclass', 'uname', 'entropy'] });
    const names = (fams: MetricFamily[]): string[] => fams.map((f) => f.name);
    const first = await c.collect();
    const kept = (await openFds()) - before;
    const second = await c.collect();
    expect(names(second)).toEqual(names(first));
    expect(kept).toBeGreaterThan(0);
    expect((await openFds()) - before).toBe(kept);
    const success = second.find((f) => f.name === 'node_scrape_collector_success')!.samples;
    expect(success.filter((s) => s.value !== 1).map((s) => getLabel(s.labels, 'collector'))).toEqual([]);
    await c.close();
    expect(await openFds()).toBe(before);
  });
});
