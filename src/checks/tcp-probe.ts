import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { AppError, errorMessage } from '../base/errors.js';
import type { CheckResult, CheckStatus, PerfDatum } from '../model/check.js';
import { labelsFromRecord, type Labels } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import type { Check } from './check.js';

/**
 * TCP (and TLS) probes with blackbox_exporter's metric names (prober/tcp.go, read not copied), plus
 * the pieces the HTTP probe shares: address choice, the IP hash, certificate facts, gauges and
 * the certificate-expiry status. See docs/probes.md.
 */

/** What a probe produced: the check result and blackbox-compatible `probe_*` families. */
export interface ProbeOutcome {
  readonly result: CheckResult;
  /** Gauges without target labels (the caller adds `instance`, `job`, …); no timestamps. */
  readonly families: readonly MetricFamily[];
}

/** Preferred address family; the other one is used when the name has no address of this one. */
export type IpProtocol = 'ip4' | 'ip6';

/** Default warning window before a certificate's expiry: 14 days, in milliseconds. */
export const DEFAULT_CERT_EXPIRY_WARNING_MS = 14 * 86_400_000;

/** A resolved target address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  /** Time the lookup took, in seconds. */
  readonly lookupSeconds: number;
}

/**
 * Resolves `host` (a name or an IP literal) the way blackbox_exporter chooses: the first address of
 * the preferred family, else the first of the other (its `ip_protocol_fallback: true`). Rejects
 * with the resolver's error, or the signal's reason when it aborts first.
 */
export async function resolveTarget(
  host: string,
  preferred: IpProtocol,
  signal: AbortSignal,
): Promise<ResolvedAddress> {
  const started = performance.now();
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIP(bare);
  let addresses: { address: string; family: number }[];
  if (literal !== 0) addresses = [{ address: bare, family: literal }];
  else addresses = await raceAbort(lookup(bare, { all: true }), signal);
  const want = preferred === 'ip4' ? 4 : 6;
  const pick = addresses.find((a) => a.family === want) ?? addresses[0];
  if (pick === undefined) throw new AppError('not_found', `no address for ${host}`);
  return {
    address: pick.address,
    family: pick.family === 6 ? 6 : 4,
    lookupSeconds: (performance.now() - started) / 1000,
  };
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * blackbox_exporter's `probe_ip_addr_hash`: FNV-1a (32 bit) over the address bytes (4 for IPv4,
 * 16 for IPv6), so a change of address shows as a change of value.
 */
export function ipAddrHash(address: string): number {
  let h = 0x811c9dc5;
  for (const b of ipBytes(address)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function ipBytes(address: string): number[] {
  if (isIP(address) === 4) return address.split('.').map(Number);
  // Expand `::` and an embedded IPv4 tail into eight 16-bit groups.
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** Facts about the certificates of a TLS connection, for the `probe_ssl_*` gauges. */
export interface TlsFacts {
  /** Earliest `notAfter` of the presented chain, seconds since the epoch. */
  readonly earliestExpirySeconds: number;
  /** Earliest `notAfter` of the verified chain; absent when the chain was not verified. */
  readonly lastChainExpirySeconds?: number;
  /** `TLS 1.2`, `TLS 1.3`, … as blackbox_exporter labels it. */
  readonly version: string;
  /** The leaf certificate. */
  readonly leaf: {
    readonly fingerprintSha256: string;
    readonly subject: string;
    readonly issuer: string;
    /** DNS subject alternative names, comma-separated. */
    readonly subjectAlternative: string;
    /** `notAfter`, seconds since the epoch. */
    readonly expirySeconds: number;
  };
}

/** Reads {@link TlsFacts} from a connected TLS socket; undefined when the peer sent no certificate. */
export function tlsFacts(socket: TLSSocket): TlsFacts | undefined {
  const leaf = socket.getPeerCertificate(true);
  if (!leaf || leaf.raw === undefined) return undefined;
  const chain: PeerCertificate[] = [];
  const seen = new Set<string>();
  let cur: PeerCertificate | undefined = leaf;
  while (cur?.raw !== undefined && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    chain.push(cur);
    cur = (cur as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  const expiries = chain.map((c) => Date.parse(c.valid_to) / 1000);
  const earliest = Math.min(...expiries);
  const x509 = new X509Certificate(leaf.raw);
  const facts: TlsFacts = {
    earliestExpirySeconds: earliest,
    version: tlsVersionLabel(socket.getProtocol()),
    leaf: {
      fingerprintSha256: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
      subject: goDistinguishedName(x509.subject),
      issuer: goDistinguishedName(x509.issuer),
      subjectAlternative: (leaf.subjectaltname ?? '')
        .split(/,\s*/)
        .filter((s) => s.startsWith('DNS:'))
        .map((s) => s.slice(4))
        .join(','),
      expirySeconds: Date.parse(leaf.valid_to) / 1000,
    },
  };
  return socket.authorized ? { ...facts, lastChainExpirySeconds: earliest } : facts;
}

function tlsVersionLabel(protocol: string | null): string {
  const m = /^TLSv(\d(?:\.\d)?)$/.exec(protocol ?? '');
  if (!m) return 'unknown';
  return `TLS ${m[1]!.includes('.') ? m[1]! : `${m[1]!}.0`}`;
}

/** OpenSSL's one-RDN-per-line name as Go prints a pkix.Name: last RDN first, comma-separated. */
function goDistinguishedName(multiline: string): string {
  return multiline.split('\n').filter(Boolean).reverse().join(',');
}

/** A gauge family with one sample. */
export function gauge(name: string, help: string, value: number, labels: Labels = []): MetricFamily {
  return { name, type: 'gauge', help, samples: [{ name, labels, value }] };
}

/** The `probe_ssl_*` and `probe_tls_version_info` families for a TLS connection. */
export function tlsFamilies(facts: TlsFacts): MetricFamily[] {
  const out = [
    gauge(
      'probe_ssl_earliest_cert_expiry',
      'Earliest expiry of the presented certificates, in seconds since the epoch.',
      facts.earliestExpirySeconds,
    ),
  ];
  if (facts.lastChainExpirySeconds !== undefined) {
    out.push(
      gauge(
        'probe_ssl_last_chain_expiry_timestamp_seconds',
        'Expiry of the verified chain that lasts longest, in seconds since the epoch.',
        facts.lastChainExpirySeconds,
      ),
    );
  }
  out.push(
    gauge(
      'probe_ssl_last_chain_info',
      'The leaf certificate of the connection (always 1).',
      1,
      labelsFromRecord({
        fingerprint_sha256: facts.leaf.fingerprintSha256,
        issuer: facts.leaf.issuer,
        subject: facts.leaf.subject,
        subjectalternative: facts.leaf.subjectAlternative,
      }),
    ),
    gauge('probe_tls_version_info', 'The TLS version of the connection (always 1).', 1, [
      { name: 'version', value: facts.version },
    ]),
  );
  return out;
}

/** The families every probe reports about the address it chose. */
export function addressFamilies(
  resolved: ResolvedAddress | undefined,
  lookupSeconds: number,
): MetricFamily[] {
  return [
    gauge('probe_dns_lookup_time_seconds', 'Time the name lookup took, in seconds.', lookupSeconds),
    gauge(
      'probe_ip_protocol',
      'IP version of the probed address: 4 or 6 (0 when unresolved).',
      resolved?.family ?? 0,
    ),
    gauge(
      'probe_ip_addr_hash',
      'FNV-1a hash of the probed address, to notice when it changes.',
      resolved ? ipAddrHash(resolved.address) : 0,
    ),
  ];
}

/**
 * The status certificate expiry calls for: CRITICAL once expired, WARNING within `warningMs` of
 * expiry, else OK; with a note for the message.
 */
export function certificateStatus(
  expirySeconds: number,
  nowMs: number,
  warningMs: number,
): { status: CheckStatus; note?: string } {
  const leftMs = expirySeconds * 1000 - nowMs;
  const at = new Date(expirySeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
  if (leftMs <= 0) return { status: 'CRITICAL', note: `certificate expired ${at}` };
  if (leftMs <= warningMs) {
    const days = Math.floor(leftMs / 86_400_000);
    const hours = Math.floor(leftMs / 3_600_000);
    return {
      status: 'WARNING',
      note: `certificate expires in ${days >= 1 ? `${days} days` : `${hours} hours`} (${at})`,
    };
  }
  return { status: 'OK' };
}

/** The worse of two statuses (CRITICAL > WARNING > UNKNOWN > OK, as Nagios orders severity). */
export function worseStatus(a: CheckStatus, b: CheckStatus): CheckStatus {
  const rank: Record<CheckStatus, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };
  return rank[b] > rank[a] ? b : a;
}

/** The `time` perfdata item (seconds) probes report. */
export function timePerfDatum(seconds: number): PerfDatum {
  return { label: 'time', value: seconds, unit: 's', baseValue: seconds, baseUnit: 'seconds', min: 0 };
}

/** Why a network error happened, in the words of its code when it has one. */
export function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined && !errorMessage(err).includes(e.code)
    ? `${errorMessage(err)} (${e.code})`
    : errorMessage(err);
}

/** One step of a TCP conversation, as blackbox_exporter's `query_response`. */
export interface QueryResponseStep {
  /** Read lines until one matches; `${1}` in `send` then refers to its groups. */
  readonly expect?: RegExp | string;
  /** A line to write (a newline is added). */
  readonly send?: string;
}

/** A probe's deadline: its signal aborts at the timeout or when the caller's signal aborts. */
export interface ProbeDeadline {
  /** Aborts with AppError `timeout` or `canceled`. */
  readonly signal: AbortSignal;
  /** Clears the timer and stops listening to the caller's signal. */
  dispose(): void;
}

/**
 * Compiles a probe's pattern given as text (shared by the HTTP and TCP probes); a RegExp passes
 * through. Throws a `bad_input` AppError `<context> "<pattern>"` when it does not compile.
 */
export function compileProbeRegExp(pattern: RegExp | string, context: string): RegExp {
  if (typeof pattern !== 'string') return pattern;
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new AppError('bad_input', `${context} ${JSON.stringify(pattern)}`, { cause: e });
  }
}

/** Starts the deadline of one probe run (shared by the HTTP and TCP probes). */
export function probeDeadline(signal: AbortSignal, timeoutMs: number): ProbeDeadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new AppError('timeout', 'timeout')), timeoutMs);
  const onAbort = (): void => controller.abort(new AppError('canceled', 'aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/** Options of {@link TcpProbe}. */
export interface TcpProbeOptions {
  readonly name: string;
  /** Host name or IP literal (IPv6 with or without brackets). */
  readonly host: string;
  readonly port: number;
  /** The whole probe's deadline, in milliseconds. */
  readonly timeoutMs: number;
  /** Connect with TLS. */
  readonly isTls?: boolean;
  /** Verify the certificate chain and host name. Default true. */
  readonly verifyTls?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. a private CA. */
  readonly caPem?: string;
  /** The TLS server name (SNI and verification). Default: the host, unless it is an IP literal. */
  readonly serverName?: string;
  readonly queryResponse?: readonly QueryResponseStep[];
  /** WARNING this long before a certificate expires. Default 14 days. */
  readonly certExpiryWarningMs?: number;
  /** Default 'ip6' with fallback, as blackbox_exporter. */
  readonly ipProtocol?: IpProtocol;
  /** Milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
}

/**
 * Connects to a TCP port (optionally with TLS, optionally talking a line protocol) and reports
 * blackbox_exporter's tcp prober metrics. `run` and `probe` never reject; one instance may run
 * concurrently with itself.
 */
export class TcpProbe implements Check {
  readonly name: string;
  readonly #o: TcpProbeOptions;
  readonly #expects: (RegExp | undefined)[];

  /** Throws a `bad_input` AppError for a bad port or an `expect` that does not compile. */
  constructor(options: TcpProbeOptions) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new AppError('bad_input', `tcp probe ${options.name}: port must be 1-65535, got ${options.port}`);
    }
    this.name = options.name;
    this.#o = options;
    this.#expects = (options.queryResponse ?? []).map((s) =>
      s.expect === undefined
        ? undefined
        : compileProbeRegExp(s.expect, `tcp probe ${options.name}: invalid expect`),
    );
  }

  async run(signal: AbortSignal): Promise<CheckResult> {
    return (await this.probe(signal)).result;
  }

  /** Probes once; never rejects. */
  async probe(signal: AbortSignal): Promise<ProbeOutcome> {
    const o = this.#o;
    const now = o.now ?? Date.now;
    const startedAtMs = now();
    const started = performance.now();
    const deadline = probeDeadline(signal, o.timeoutMs);
    const target = `${o.host.includes(':') && !o.host.startsWith('[') ? `[${o.host}]` : o.host}:${o.port}`;

    let resolved: ResolvedAddress | undefined;
    let facts: TlsFacts | undefined;
    let failedDueToRegex = 0;
    let status: CheckStatus = 'OK';
    let message: string;
    let socket: Socket | undefined;
    try {
      resolved = await resolveTarget(o.host, o.ipProtocol ?? 'ip6', deadline.signal);
      socket = await this.#connect(resolved, deadline.signal);
      if (o.isTls) facts = tlsFacts(socket as TLSSocket);
      const reader = new LineReader(socket, deadline.signal);
      let lastMatch: RegExpExecArray | undefined;
      for (const [i, step] of (o.queryResponse ?? []).entries()) {
        const re = this.#expects[i];
        if (re !== undefined) {
          lastMatch = await reader.expect(re);
          if (lastMatch === undefined) {
            failedDueToRegex = 1;
            throw new AppError('bad_input', `no line from ${target} matched ${String(re)}`);
          }
        }
        if (step.send !== undefined) {
          const line = step.send.replace(/\$\{(\d+)\}/g, (_, d: string) => lastMatch?.[Number(d)] ?? '');
          socket.write(`${line}\n`);
        }
      }
      const ms = Math.round(performance.now() - started);
      message = `${o.isTls ? 'TLS' : 'TCP'} connect to ${target} in ${ms} ms`;
      if (facts) {
        const cert = certificateStatus(
          facts.leaf.expirySeconds,
          now(),
          o.certExpiryWarningMs ?? DEFAULT_CERT_EXPIRY_WARNING_MS,
        );
        status = cert.status;
        if (cert.note !== undefined) message += `, ${cert.note}`;
      }
    } catch (err) {
      const reason = deadline.signal.reason as AppError | undefined;
      if (reason?.code === 'canceled') {
        status = 'UNKNOWN';
        message = `probe of ${target} aborted`;
      } else if (reason?.code === 'timeout') {
        status = 'CRITICAL';
        message = `timeout after ${o.timeoutMs} ms probing ${target}`;
      } else {
        status = 'CRITICAL';
        message =
          err instanceof AppError && err.code === 'bad_input'
            ? err.message
            : resolved === undefined
              ? `cannot resolve ${o.host}: ${describeNetError(err)}`
              : `cannot connect to ${target}: ${describeNetError(err)}`;
      }
    } finally {
      deadline.dispose();
      socket?.destroy();
    }
    const durationMs = performance.now() - started;
    const isSuccess = status === 'OK' || status === 'WARNING';
    const families = [
      gauge('probe_success', 'Whether the probe succeeded (1) or failed (0).', isSuccess ? 1 : 0),
      gauge('probe_duration_seconds', 'How long the probe took, in seconds.', durationMs / 1000),
      ...addressFamilies(resolved, resolved?.lookupSeconds ?? 0),
      gauge(
        'probe_failed_due_to_regex',
        'Whether the probe failed because an expected line did not come.',
        failedDueToRegex,
      ),
      ...(facts ? tlsFamilies(facts) : []),
    ];
    return {
      result: {
        status,
        message,
        longOutput: '',
        perfdata: [timePerfDatum(durationMs / 1000)],
        startedAtMs,
        durationMs,
        exitCode: null,
        ...(status === 'CRITICAL' && deadline.signal.aborted && { reason: 'timeout' }),
      },
      families,
    };
  }

  #connect(to: ResolvedAddress, signal: AbortSignal): Promise<Socket> {
    const o = this.#o;
    const serverName = o.serverName ?? (isIP(o.host.replace(/^\[|\]$/g, '')) === 0 ? o.host : undefined);
    return new Promise<Socket>((resolve, reject) => {
      const socket: Socket = o.isTls
        ? tlsConnect({
            host: to.address,
            port: o.port,
            ...(serverName !== undefined && { servername: serverName }),
            rejectUnauthorized: o.verifyTls ?? true,
            ...(o.caPem !== undefined && { ca: o.caPem }),
            checkServerIdentity: (_host, cert) => checkServerIdentity(serverName ?? to.address, cert),
          })
        : netConnect({ host: to.address, port: o.port });
      const onAbort = (): void => {
        socket.destroy();
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once(o.isTls ? 'secureConnect' : 'connect', () => {
        signal.removeEventListener('abort', onAbort);
        resolve(socket);
      });
      socket.once('error', (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      });
    });
  }
}

/** Reads a socket line by line (`\n`, a trailing `\r` dropped) for query/response steps. */
class LineReader {
  readonly #lines: string[] = [];
  #buffer = '';
  #isEnded = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(socket: Socket, signal: AbortSignal) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        this.#lines.push(this.#buffer.slice(0, nl).replace(/\r$/, ''));
        this.#buffer = this.#buffer.slice(nl + 1);
      }
      this.#wake?.();
    });
    const end = (): void => {
      if (this.#buffer !== '') this.#lines.push(this.#buffer);
      this.#buffer = '';
      this.#isEnded = true;
      this.#wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (e) => {
      this.#error = e;
      end();
    });
    signal.addEventListener('abort', () => {
      this.#error = signal.reason as Error;
      this.#wake?.();
    });
  }

  /** The first line matching `re`, or undefined when the peer closed first; rejects on errors. */
  async expect(re: RegExp): Promise<RegExpExecArray | undefined> {
    for (;;) {
      if (this.#error) throw this.#error;
      const line = this.#lines.shift();
      if (line !== undefined) {
        const m = re.exec(line);
        if (m) return m;
        continue;
      }
      if (this.#isEnded) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
