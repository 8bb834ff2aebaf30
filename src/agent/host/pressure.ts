import { scalar } from './families.js';
import { NoDataError, type HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily } from '../../model/metric.js';

/**
 * Pressure stall information, /proc/pressure/{cpu,io,memory} (Linux ≥ 4.20 with CONFIG_PSI;
 * https://docs.kernel.org/accounting/psi.html), as node_exporter's `pressure` collector exports
 * it: the cumulative `total` (µs) of the `some` line as *waiting* and of the `full` line as
 * *stalled*, in seconds. CPU exports `some` only, as node_exporter 1.5 does.
 */

/** One PSI line: averages in percent, total stall time in microseconds. */
export interface PsiLine {
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  readonly totalUs: number;
}

/** A parsed /proc/pressure file; a line the kernel does not print is `undefined`. */
export interface Psi {
  readonly some: PsiLine | undefined;
  readonly full: PsiLine | undefined;
}

/** Parses one /proc/pressure file; throws `bad_input` on a malformed `key=value`. */
export function parsePressure(text: string): Psi {
  let some: PsiLine | undefined;
  let full: PsiLine | undefined;
  for (const line of splitLines(text)) {
    const f = splitFields(line);
    const kind = f[0];
    if (kind !== 'some' && kind !== 'full') continue;
    const kv: Record<string, number> = {};
    for (let i = 1; i < f.length; i++) {
      const item = f[i]!;
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      kv[item.slice(0, eq)] = parseNumber(item.slice(eq + 1), `proc pressure ${kind} ${item}`);
    }
    if (kv.total === undefined) throw new AppError('bad_input', `proc pressure: ${kind} line without total`);
    const parsed: PsiLine = {
      avg10: kv.avg10 ?? 0,
      avg60: kv.avg60 ?? 0,
      avg300: kv.avg300 ?? 0,
      totalUs: kv.total,
    };
    if (kind === 'some') some = parsed;
    else full = parsed;
  }
  return { some, full };
}

const RESOURCES = ['cpu', 'io', 'memory'] as const;

const WAITING_HELP = {
  cpu: 'Total time in seconds that processes have waited for CPU time',
  io: 'Total time in seconds that processes have waited due to IO congestion',
  memory: 'Total time in seconds that processes have waited for memory',
} as const;

const STALLED_HELP = {
  io: 'Total time in seconds no process could make progress due to IO congestion',
  memory: 'Total time in seconds no process could make progress due to memory congestion',
} as const;

/** Microseconds to seconds, dividing as node_exporter does so the floats are identical. */
function usToSeconds(us: number): number {
  return us / 1000 / 1000;
}

/** The `pressure` families for the three resources. */
export function pressureFamilies(psi: {
  readonly cpu: Psi;
  readonly io: Psi;
  readonly memory: Psi;
}): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const r of RESOURCES) {
    const p = psi[r];
    if (p.some !== undefined) {
      out.push(
        scalar(
          `node_pressure_${r}_waiting_seconds_total`,
          'counter',
          WAITING_HELP[r],
          usToSeconds(p.some.totalUs),
        ),
      );
    }
    if (r !== 'cpu' && p.full !== undefined) {
      out.push(
        scalar(
          `node_pressure_${r}_stalled_seconds_total`,
          'counter',
          STALLED_HELP[r],
          usToSeconds(p.full.totalUs),
        ),
      );
    }
  }
  return out;
}

/**
 * node_exporter's `pressure` collector. Rejects with {@link NoDataError} when the kernel has no
 * PSI (the files are missing), as node_exporter reports "no data" there.
 */
export const pressureCollector: HostSubCollector = {
  name: 'pressure',
  async collect(source) {
    let texts: string[];
    try {
      texts = await Promise.all(RESOURCES.map((r) => source.readProc(`pressure/${r}`)));
    } catch (err) {
      if (isMissing(err))
        throw new NoDataError('pressure stall information is unavailable (Linux >= 4.20 with CONFIG_PSI)');
      throw err;
    }
    const [cpu, io, memory] = texts.map(parsePressure) as [Psi, Psi, Psi];
    return pressureFamilies({ cpu, io, memory });
  },
};

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // EOPNOTSUPP: PSI compiled in but disabled with psi=0 on the kernel command line.
  return code === 'ENOENT' || code === 'EOPNOTSUPP' || code === 'ENOTSUP';
}
