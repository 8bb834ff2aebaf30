import { family, sample, scalar, sortedLabels } from './families.js';
import type { HostSource, HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily, MetricSample } from '../../model/metric.js';

/**
 * /proc/stat (proc(5)): per-CPU times and kernel activity counters. Feeds node_exporter's `cpu`
 * collector (node_cpu_seconds_total, node_cpu_guest_seconds_total) and its `stat` collector
 * (boot time, context switches, forks, interrupts, runnable/blocked processes).
 */

/** Clock ticks per second of /proc/stat times (USER_HZ), 100 on every Linux ABI that matters. */
export const USER_HZ = 100;

/** The modes node_cpu_seconds_total reports, in /proc/stat column order. */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** Times of one CPU in seconds. Columns an old kernel does not print are 0, as in node_exporter. */
export interface CpuTimes {
  /** The CPU number as a string (`"0"`), or `""` for the aggregate `cpu` line. */
  readonly cpu: string;
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
  readonly guest: number;
  readonly guestNice: number;
}

/** The parts of /proc/stat node_exporter exports. Absent lines are `undefined`. */
export interface ProcStat {
  /** Per-CPU lines (`cpuN`), in file order. */
  readonly cpus: readonly CpuTimes[];
  /** The aggregate `cpu` line. */
  readonly total: CpuTimes | undefined;
  /** Interrupts serviced since boot (first number of `intr`). */
  readonly intr: number | undefined;
  /** Context switches since boot. */
  readonly ctxt: number | undefined;
  /** Boot time, seconds since the epoch. */
  readonly btime: number | undefined;
  /** Forks since boot (`processes`). */
  readonly processes: number | undefined;
  readonly procsRunning: number | undefined;
  readonly procsBlocked: number | undefined;
}

/** Parses /proc/stat. Throws `bad_input` on a malformed number in a line it uses. */
export function parseStat(text: string, userHz: number = USER_HZ): ProcStat {
  const cpus: CpuTimes[] = [];
  let total: CpuTimes | undefined;
  let intr: number | undefined;
  let ctxt: number | undefined;
  let btime: number | undefined;
  let processes: number | undefined;
  let procsRunning: number | undefined;
  let procsBlocked: number | undefined;
  for (const line of splitLines(text)) {
    if (line.startsWith('cpu')) {
      const f = splitFields(line);
      const times = parseCpuLine(f[0]!, f, userHz);
      if (times.cpu === '') total = times;
      else cpus.push(times);
      continue;
    }
    // Other lines need only their second field; `intr` and `softirq` carry hundreds more,
    // which are not split.
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const key = line.slice(0, sp);
    let end = line.indexOf(' ', sp + 1);
    if (end === -1) end = line.length;
    const first = line.slice(sp + 1, end);
    switch (key) {
      case 'intr':
        intr = parseNumber(first, 'proc stat intr');
        break;
      case 'ctxt':
        ctxt = parseNumber(first, 'proc stat ctxt');
        break;
      case 'btime':
        btime = parseNumber(first, 'proc stat btime');
        break;
      case 'processes':
        processes = parseNumber(first, 'proc stat processes');
        break;
      case 'procs_running':
        procsRunning = parseNumber(first, 'proc stat procs_running');
        break;
      case 'procs_blocked':
        procsBlocked = parseNumber(first, 'proc stat procs_blocked');
        break;
    }
  }
  return { cpus, total, intr, ctxt, btime, processes, procsRunning, procsBlocked };
}

function parseCpuLine(key: string, f: readonly string[], userHz: number): CpuTimes {
  const cpu = key.slice(3);
  if (cpu !== '' && !/^\d+$/.test(cpu)) throw new AppError('bad_input', `proc stat: bad cpu line ${key}`);
  if (f.length < 2) throw new AppError('bad_input', `proc stat: ${key} has no times`);
  const t = (i: number): number => {
    const s = f[i];
    return s === undefined ? 0 : parseNumber(s, `proc stat ${key}`) / userHz;
  };
  return {
    cpu,
    user: t(1),
    nice: t(2),
    system: t(3),
    idle: t(4),
    iowait: t(5),
    irq: t(6),
    softirq: t(7),
    steal: t(8),
    guest: t(9),
    guestNice: t(10),
  };
}

/**
 * How far idle may jump backwards (seconds) before it is taken as a CPU hot-plug that resets the
 * CPU's counters rather than kernel jitter; node_exporter's cpu collector uses the same 3 s.
 */
const JUMP_BACK_SECONDS = 3;

/**
 * node_exporter's `cpu` collector. Stateful like the original: a mode counter that goes
 * backwards (the kernel's idle/iowait accounting on NO_HZ systems does) is held at its previous
 * value so rate() never sees a reset that is not one, unless idle went back by
 * {@link JUMP_BACK_SECONDS} or more; CPUs that go offline are forgotten.
 */
export class CpuCollector implements HostSubCollector {
  readonly name = 'cpu';
  readonly #prev = new Map<string, Float64Array>();

  async collect(source: HostSource): Promise<MetricFamily[]> {
    const stat = parseStat(await source.readProc('stat'));
    return this.families(stat);
  }

  /** The families for one parsed /proc/stat, applying (and updating) the backwards-jump state. */
  families(stat: ProcStat): MetricFamily[] {
    const seconds: MetricSample[] = [];
    const guest: MetricSample[] = [];
    const seen = new Set<string>();
    for (const c of stat.cpus) {
      seen.add(c.cpu);
      const now = [
        c.user,
        c.nice,
        c.system,
        c.idle,
        c.iowait,
        c.irq,
        c.softirq,
        c.steal,
        c.guest,
        c.guestNice,
      ];
      let kept = this.#prev.get(c.cpu);
      // An idle counter far behind the last one means the CPU was hot-plugged: start over.
      if (kept === undefined || kept[3]! - c.idle >= JUMP_BACK_SECONDS) kept = new Float64Array(now.length);
      for (let i = 0; i < now.length; i++) {
        const v = now[i]!;
        if (v >= kept[i]!) kept[i] = v;
      }
      this.#prev.set(c.cpu, kept);
      for (let i = 0; i < CPU_MODES.length; i++) {
        seconds.push(
          sample('node_cpu_seconds_total', sortedLabels(['cpu', c.cpu], ['mode', CPU_MODES[i]!]), kept[i]!),
        );
      }
      guest.push(
        sample('node_cpu_guest_seconds_total', sortedLabels(['cpu', c.cpu], ['mode', 'nice']), kept[9]!),
      );
      guest.push(
        sample('node_cpu_guest_seconds_total', sortedLabels(['cpu', c.cpu], ['mode', 'user']), kept[8]!),
      );
    }
    for (const cpu of this.#prev.keys()) if (!seen.has(cpu)) this.#prev.delete(cpu);
    return [
      family(
        'node_cpu_guest_seconds_total',
        'counter',
        'Seconds the CPUs spent in guests (VMs) for each mode.',
        guest,
      ),
      family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.', seconds),
    ];
  }
}

/** node_exporter's `stat` collector: kernel activity counters from /proc/stat. */
export const statCollector: HostSubCollector = {
  name: 'stat',
  async collect(source) {
    return statFamilies(parseStat(await source.readProc('stat')));
  },
};

/** The `stat` collector's families for a parsed /proc/stat; lines the kernel lacks are skipped. */
export function statFamilies(stat: ProcStat): MetricFamily[] {
  const out: MetricFamily[] = [];
  const add = (name: string, type: 'counter' | 'gauge', help: string, v: number | undefined): void => {
    if (v !== undefined) out.push(scalar(name, type, help, v));
  };
  add('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', stat.btime);
  add('node_context_switches_total', 'counter', 'Total number of context switches.', stat.ctxt);
  add('node_forks_total', 'counter', 'Total number of forks.', stat.processes);
  add('node_intr_total', 'counter', 'Total number of interrupts serviced.', stat.intr);
  add(
    'node_procs_blocked',
    'gauge',
    'Number of processes blocked waiting for I/O to complete.',
    stat.procsBlocked,
  );
  add('node_procs_running', 'gauge', 'Number of processes in runnable state.', stat.procsRunning);
  return out;
}
