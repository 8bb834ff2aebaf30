import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { CpuCollector, parseStat, statFamilies, type ProcStat } from './stat.js';
import { labelsToRecord } from '../../model/labels.js';
import type { MetricFamily } from '../../model/metric.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'proc', 'stat');

function cpuValues(fams: MetricFamily[]): Record<string, number> {
  const f = fams.find((x) => x.name === 'node_cpu_seconds_total')!;
  const out: Record<string, number> = {};
  for (const s of f.samples) {
    const l = labelsToRecord(s.labels);
    out[`${l.cpu}/${l.mode}`] = s.value;
  }
  return out;
}

describe('parseStat', () => {
  it('reads the snapshot of this machine', async () => {
    const st = parseStat(await readFile(fixture, 'utf8'));
    expect(st.cpus.map((c) => c.cpu)).toEqual(['0', '1']);
    expect(st.cpus[0]).toEqual({
      cpu: '0',
      user: 69.98,
      nice: 0,
      system: 40.36,
      idle: 394.75,
      iowait: 0.36,
      irq: 0,
      softirq: 1.61,
      steal: 0,
      guest: 0,
      guestNice: 0,
    });
    expect(st.total?.user).toBe(166.87);
    expect(st).toMatchObject({
      intr: 334527,
      ctxt: 683324,
      btime: 1795806086,
      processes: 11385,
      procsRunning: 2,
      procsBlocked: 0,
    });
  });

  it.each([
    // Linux 2.6.0–2.6.10: no steal, guest, guest_nice columns.
    ['cpu0 10 20 30 40 50 60 70', { user: 0.1, softirq: 0.7, steal: 0, guest: 0, guestNice: 0 }],
    // Linux 2.4: only user, nice, system, idle.
    ['cpu3 100 0 200 300', { cpu: '3', user: 1, system: 2, idle: 3, iowait: 0 }],
    ['cpu1 1 2 3 4 5 6 7 8 9 10', { steal: 0.08, guest: 0.09, guestNice: 0.1 }],
  ])('accepts the columns of older kernels: %s', (line, want) => {
    expect(parseStat(`${line}\n`).cpus[0]).toMatchObject(want);
  });

  it('leaves lines a kernel does not print undefined', () => {
    const st = parseStat('cpu 1 2 3 4\nctxt 5\n');
    expect(st).toMatchObject({ ctxt: 5, btime: undefined, procsRunning: undefined, cpus: [] });
    expect(statFamilies(st).map((f) => f.name)).toEqual(['node_context_switches_total']);
  });

  it.each([['cpu0 x 1 2 3'], ['ctxt abc'], ['cpuX 1 2 3 4'], ['cpu0']])('rejects %j', (line) => {
    expect(() => parseStat(line)).toThrow();
  });
});

function stat(cpus: [string, number, number][]): ProcStat {
  return {
    cpus: cpus.map(([cpu, user, idle]) => ({
      cpu,
      user,
      nice: 0,
      system: 0,
      idle,
      iowait: 0,
      irq: 0,
      softirq: 0,
      steal: 0,
      guest: 0,
      guestNice: 0,
    })),
    total: undefined,
    intr: undefined,
    ctxt: undefined,
    btime: undefined,
    processes: undefined,
    procsRunning: undefined,
    procsBlocked: undefined,
  };
}

describe('CpuCollector', () => {
  it.each<{ name: string; steps: [string, number, number][][]; want: Record<string, number> }>([
    {
      name: 'holds a counter that went back a little',
      steps: [[['0', 10, 100]], [['0', 9.5, 99]]],
      want: { '0/user': 10, '0/idle': 100 },
    },
    {
      name: 'follows counters that go forward',
      steps: [[['0', 10, 100]], [['0', 11, 101]]],
      want: { '0/user': 11, '0/idle': 101 },
    },
    {
      name: 'resets a CPU whose idle went back 3 s or more (hot-plug)',
      steps: [[['0', 10, 100]], [['0', 1, 50]]],
      want: { '0/user': 1, '0/idle': 50 },
    },
    {
      name: 'forgets a CPU that went offline',
      steps: [
        [
          ['0', 10, 100],
          ['1', 10, 100],
        ],
        [['0', 11, 101]],
        [
          ['0', 12, 102],
          ['1', 1, 2],
        ],
      ],
      want: { '0/user': 12, '0/idle': 102, '1/user': 1, '1/idle': 2 },
    },
  ])('$name', ({ steps, want }) => {
    const c = new CpuCollector();
    let last: MetricFamily[] = [];
    for (const s of steps) last = c.families(stat(s));
    expect(cpuValues(last)).toMatchObject(want);
  });

  it('exports guest time separately with modes user and nice', () => {
    const st = stat([['0', 1, 1]]);
    const fams = new CpuCollector().families({ ...st, cpus: [{ ...st.cpus[0]!, guest: 2, guestNice: 3 }] });
    const guest = fams.find((f) => f.name === 'node_cpu_guest_seconds_total')!;
    expect(guest.samples.map((s) => [labelsToRecord(s.labels), s.value])).toEqual([
      [{ cpu: '0', mode: 'nice' }, 3],
      [{ cpu: '0', mode: 'user' }, 2],
    ]);
  });
});
