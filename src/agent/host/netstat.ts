import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { matchesCached, parseNumber, splitFields, splitLines } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily } from '../../model/metric.js';

/**
 * Protocol counters from /proc/net/netstat and /proc/net/snmp (pairs of `Proto: names` /
 * `Proto: values` lines) and /proc/net/snmp6 (`Ip6InOctets value` lines), filtered and named as
 * node_exporter's `netstat` collector does: `node_netstat_<Proto>_<Name>`.
 */

/** node_exporter's default `--collector.netstat.fields`. */
export const DEFAULT_NETSTAT_FIELDS =
  /^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$/;

/** One protocol counter. */
export interface NetstatField {
  /** Protocol as the kernel prints it: `TcpExt`, `Ip`, `Udp6`, `UdpLite6`. */
  readonly protocol: string;
  /** Counter name within the protocol: `InSegs`. */
  readonly name: string;
  readonly value: number;
}

/**
 * Parses /proc/net/netstat or /proc/net/snmp: every header line `Proto: A B` is followed by a
 * value line `Proto: 1 2`. Throws `bad_input` when a pair is mismatched.
 */
export function parseNetstat(text: string): NetstatField[] {
  const out: NetstatField[] = [];
  const lines = splitLines(text);
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = splitFields(lines[i]!);
    const values = splitFields(lines[i + 1]!);
    const proto = names[0];
    if (proto === undefined || !proto.endsWith(':') || values[0] !== proto) {
      throw new AppError('bad_input', `proc netstat: header and values do not pair at line ${i + 1}`);
    }
    if (names.length !== values.length) {
      throw new AppError(
        'bad_input',
        `proc netstat: ${proto} has ${names.length} names but ${values.length} values`,
      );
    }
    const protocol = proto.slice(0, -1);
    for (let j = 1; j < names.length; j++) {
      out.push({
        protocol,
        name: names[j]!,
        value: parseNumber(values[j], `proc netstat ${protocol} ${names[j]!}`),
      });
    }
  }
  return out;
}

/**
 * Parses /proc/net/snmp6 (`Udp6InDatagrams 12`); the protocol is the key up to its first `6`
 * (`Icmp6`, `Ip6`, `Udp6`, `UdpLite6`), as node_exporter splits it.
 */
export function parseSnmp6(text: string): NetstatField[] {
  const out: NetstatField[] = [];
  for (const line of splitLines(text)) {
    const f = splitFields(line);
    const key = f[0];
    if (key === undefined || f.length < 2) continue;
    const six = key.indexOf('6');
    if (six === -1) continue;
    out.push({
      protocol: key.slice(0, six + 1),
      name: key.slice(six + 1),
      value: parseNumber(f[1], `proc snmp6 ${key}`),
    });
  }
  return out;
}

/** The `netstat` families for fields whose `Proto_Name` matches `include`; untyped. */
export function netstatFamilies(
  fields: Iterable<NetstatField>,
  include: RegExp = DEFAULT_NETSTAT_FIELDS,
): MetricFamily[] {
  const out: MetricFamily[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    const key = `${f.protocol}_${f.name}`;
    if (seen.has(key) || !matchesCached(include, key)) continue;
    seen.add(key);
    out.push(scalar(`node_netstat_${key}`, 'unknown', `Statistic ${f.protocol}${f.name}.`, f.value));
  }
  return out;
}

/**
 * node_exporter's `netstat` collector. /proc/net/snmp6 is optional (no IPv6 on the host);
 * /proc/net/netstat and /proc/net/snmp are required.
 */
export function netstatCollector(include: RegExp = DEFAULT_NETSTAT_FIELDS): HostSubCollector {
  return {
    name: 'netstat',
    async collect(source) {
      const [netstat, snmp, snmp6] = await Promise.all([
        source.readProc('net/netstat'),
        source.readProc('net/snmp'),
        source.readProc('net/snmp6').catch((err: unknown) => {
          if ((err as { code?: unknown } | null)?.code === 'ENOENT') return '';
          throw err;
        }),
      ]);
      return netstatFamilies(
        [...parseNetstat(netstat), ...parseNetstat(snmp), ...parseSnmp6(snmp6)],
        include,
      );
    },
  };
}
