import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import type { MetricFamily } from '../../model/metric.js';

/**
 * /proc/net/sockstat and /proc/net/sockstat6: sockets in use per protocol and their memory,
 * named as node_exporter's `sockstat` collector names them (`node_sockstat_TCP_inuse`).
 */

/** One `PROTO: key value …` entry of a sockstat file. */
export interface SockstatField {
  /** `sockets`, `TCP`, `UDP6`, … as printed. */
  readonly protocol: string;
  /** `used`, `inuse`, `orphan`, `tw`, `alloc`, `mem` (pages) or `memory` (bytes). */
  readonly name: string;
  readonly value: number;
}

/** The per-protocol fields node_exporter knows; others a future kernel adds are skipped. */
const KNOWN = new Set(['inuse', 'orphan', 'tw', 'alloc', 'mem', 'memory']);

/** Parses a sockstat file. Throws `bad_input` on a malformed number. */
export function parseSockstat(text: string): SockstatField[] {
  const out: SockstatField[] = [];
  for (const line of splitLines(text)) {
    const f = splitFields(line);
    const head = f[0];
    if (head === undefined || !head.endsWith(':')) continue;
    const protocol = head.slice(0, -1);
    for (let i = 1; i + 1 < f.length; i += 2) {
      const name = f[i]!;
      if (protocol === 'sockets' ? name !== 'used' : !KNOWN.has(name)) continue;
      out.push({ protocol, name, value: parseNumber(f[i + 1], `proc sockstat ${protocol} ${name}`) });
    }
  }
  return out;
}

/**
 * The `sockstat` families. `mem` is in pages; node_exporter adds `<proto>_mem_bytes` using the
 * page size, which is `pageSizeBytes` here.
 */
export function sockstatFamilies(fields: Iterable<SockstatField>, pageSizeBytes: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const f of fields) {
    if (f.protocol === 'sockets') {
      out.push(scalar('node_sockstat_sockets_used', 'gauge', 'Number of IPv4 sockets in use.', f.value));
      continue;
    }
    const base = `node_sockstat_${f.protocol}_${f.name}`;
    out.push(scalar(base, 'gauge', `Number of ${f.protocol} sockets in state ${f.name}.`, f.value));
    if (f.name === 'mem') {
      out.push(
        scalar(
          `${base}_bytes`,
          'gauge',
          `Number of ${f.protocol} sockets in state mem_bytes.`,
          f.value * pageSizeBytes,
        ),
      );
    }
  }
  return out;
}

/** node_exporter's `sockstat` collector; /proc/net/sockstat6 is optional (no IPv6). */
export function sockstatCollector(pageSizeBytes: number): HostSubCollector {
  return {
    name: 'sockstat',
    async collect(source) {
      const [v4, v6] = await Promise.all([
        source.readProc('net/sockstat'),
        source.readProc('net/sockstat6').catch((err: unknown) => {
          if ((err as { code?: unknown } | null)?.code === 'ENOENT') return '';
          throw err;
        }),
      ]);
      return sockstatFamilies([...parseSockstat(v4), ...parseSockstat(v6)], pageSizeBytes);
    },
  };
}
