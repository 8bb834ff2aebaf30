import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { AppError } from '../base/errors.js';
import type { CheckResult, CheckStatus, PerfDatum } from '../model/check.js';
import type { MetricFamily } from '../model/metric.js';
import type { Check } from './check.js';
import { evaluateHealthBody, type HealthEvaluation } from './health-json.js';
import {
  compileProbeRegExp,
  addressFamilies,
  certificateStatus,
  DEFAULT_CERT_EXPIRY_WARNING_MS,
  describeNetError,
  gauge,
  probeDeadline,
  resolveTarget,
  timePerfDatum,
  tlsFacts,
  tlsFamilies,
  worseStatus,
  type IpProtocol,
  type ProbeDeadline,
  type ProbeOutcome,
  type ResolvedAddress,
  type TlsFacts,
} from './tcp-probe.js';

/**
 * HTTP(S) probes with blackbox_exporter's http prober metrics (prober/http.go, read not copied),
 * built on node:http/https so each phase and the peer certificate can be observed. See
 * docs/probes.md for options, metrics and how the status is decided.
 */

/** A JSON body assertion: the value at `path` (a `$.a.b[0]` subset) exists, and equals `equals` if given. */
export interface JsonAssertion {
  readonly path: string;
  /** Compared with `===` (no type coercion); undefined means "exists" only. */
  readonly equals?: string | number | boolean | null | undefined;
}

/** Options of {@link HttpProbe}. */
export interface HttpProbeOptions {
  readonly name: string;
  /** `http://…` or `https://…`; without a scheme, `http://` is assumed (as blackbox_exporter). */
  readonly url: string;
  /** The whole probe's deadline (all redirects and the body), in milliseconds. */
  readonly timeoutMs: number;
  /** Default GET. */
  readonly method?: string;
  /** Request headers; `Host` overrides the host sent. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Status codes that count as success. Default: any 2xx. */
  readonly validStatusCodes?: readonly number[];
  /** Fail when the body matches any of these (blackbox `fail_if_body_matches_regexp`). */
  readonly failIfBodyMatchesRegexp?: readonly (RegExp | string)[];
  /** Fail when the body does not match all of these (blackbox `fail_if_body_not_matches_regexp`). */
  readonly failIfBodyNotMatchesRegexp?: readonly (RegExp | string)[];
  /** Fail unless the body is JSON satisfying each assertion. */
  readonly jsonAssertions?: readonly JsonAssertion[];
  /** Read the body as a health endpoint's (health-json.ts): its verdict joins the status. */
  readonly isHealthCheck?: boolean;
  /** Follow up to 10 redirects. Default true. */
  readonly followRedirects?: boolean;
  /** Verify the certificate chain and host name. Default true. */
  readonly verifyTls?: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly caPem?: string;
  /** TLS server name (SNI and verification). Default: the URL's host unless it is an IP literal. */
  readonly serverName?: string;
  /** WARNING this long before the leaf certificate expires. Default 14 days. */
  readonly certExpiryWarningMs?: number;
  /** Default 'ip6' with fallback to the other family, as blackbox_exporter. */
  readonly ipProtocol?: IpProtocol;
  /** Bytes of body kept for matching and health (all bytes are still read and counted). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
}

/** The default cap on body bytes kept for matching: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Redirects followed before giving up, as Go's http.Client. */
const MAX_REDIRECTS = 10;
const USER_AGENT = 'Kanshi-Probe/0.1';

/** One step of a JSON path: an object key or an array index. */
export type JsonPathStep = string | number;

/**
 * Parses the JSON path subset `$`, `.key`, `['key']`, `["key"]`, `[0]`. Throws a `bad_input`
 * AppError naming the path.
 */
export function parseJsonPath(path: string): JsonPathStep[] {
  const bad = (why: string): AppError =>
    new AppError('bad_input', `invalid JSON path ${JSON.stringify(path)}: ${why}`);
  if (!path.startsWith('$')) throw bad('must start with $');
  const steps: JsonPathStep[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let pos = 1;
  while (pos < path.length) {
    re.lastIndex = pos;
    const m = re.exec(path);
    if (!m) throw bad(`unexpected ${JSON.stringify(path.slice(pos))}`);
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push(m[3] ?? m[4] ?? '');
    pos = re.lastIndex;
  }
  return steps;
}

/** The value at `steps` in `doc`, or `{found: false}` when a step is missing. */
export function selectJsonPath(
  doc: unknown,
  steps: readonly JsonPathStep[],
): { found: true; value: unknown } | { found: false } {
  let cur: unknown = doc;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur) || step >= cur.length) return { found: false };
      cur = cur[step] as unknown;
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, step)) {
        return { found: false };
      }
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: cur };
}

/** Timings of one request/response exchange, `performance.now()` milliseconds. */
interface Trace {
  isTls: boolean;
  lookupSeconds: number;
  dnsDone: number;
  connectDone?: number;
  gotConn?: number;
  responseStart?: number;
  end?: number;
}

interface Exchange {
  statusCode?: number;
  httpVersion?: string;
  headers?: IncomingHttpHeaders;
  bodyBytes: number;
  body: string;
  facts?: TlsFacts;
  error?: unknown;
}

/**
 * Probes an HTTP(S) URL and reports blackbox_exporter's http prober metrics. `run` and `probe`
 * never reject; an instance may run concurrently with itself. Each probe opens fresh connections.
 */
export class HttpProbe implements Check {
  readonly name: string;
  readonly #o: HttpProbeOptions;
  readonly #url: URL;
  readonly #matches: RegExp[];
  readonly #notMatches: RegExp[];
  readonly #json: { path: string; steps: JsonPathStep[]; assertion: JsonAssertion }[];

  /** Throws a `bad_input` AppError for a bad URL, regexp or JSON path, naming it. */
  constructor(options: HttpProbeOptions) {
    this.name = options.name;
    this.#o = options;
    const raw = /^https?:\/\//i.test(options.url) ? options.url : `http://${options.url}`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch (e) {
      throw new AppError(
        'bad_input',
        `http probe ${options.name}: invalid url ${JSON.stringify(options.url)}`,
        {
          cause: e,
        },
      );
    }
    this.#url = url;
    const compile = (p: RegExp | string): RegExp =>
      compileProbeRegExp(p, `http probe ${options.name}: invalid regexp`);
    this.#matches = (options.failIfBodyMatchesRegexp ?? []).map(compile);
    this.#notMatches = (options.failIfBodyNotMatchesRegexp ?? []).map(compile);
    this.#json = (options.jsonAssertions ?? []).map((a) => ({
      path: a.path,
      steps: parseJsonPath(a.path),
      assertion: a,
    }));
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

    const traces: Trace[] = [];
    let firstResolve: ResolvedAddress | undefined;
    let resolveError: unknown;
    let final: Exchange | undefined;
    let finalUrl = this.#url;
    let redirects = 0;
    try {
      let url = this.#url;
      let method = (o.method ?? 'GET').toUpperCase();
      let body = o.body;
      for (;;) {
        let addr: ResolvedAddress;
        try {
          addr = await resolveTarget(url.hostname, o.ipProtocol ?? 'ip6', deadline.signal);
        } catch (e) {
          resolveError = e;
          break;
        }
        firstResolve ??= addr;
        const trace: Trace = {
          isTls: url.protocol === 'https:',
          lookupSeconds: addr.lookupSeconds,
          dnsDone: performance.now(),
        };
        traces.push(trace);
        const ex = await this.#exchange(url, addr, method, body, trace, deadline.signal);
        final = ex;
        finalUrl = url;
        const location = ex.headers?.location;
        if (ex.error !== undefined || !isRedirect(ex.statusCode) || location === undefined) break;
        redirects++;
        if (o.followRedirects === false || redirects > MAX_REDIRECTS) break;
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          break;
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') break;
        // As Go's client: 301/302/303 turn a non-GET/HEAD request into a GET without a body.
        if (ex.statusCode !== 307 && ex.statusCode !== 308 && method !== 'GET' && method !== 'HEAD') {
          method = 'GET';
          body = undefined;
        }
        url = next;
      }
    } finally {
      deadline.dispose();
    }
    return this.#outcome({
      started,
      startedAtMs,
      now,
      traces,
      firstResolve,
      resolveError,
      final,
      finalUrl,
      redirects,
      deadline,
    });
  }

  #outcome(p: {
    started: number;
    startedAtMs: number;
    now: () => number;
    traces: Trace[];
    firstResolve: ResolvedAddress | undefined;
    resolveError: unknown;
    final: Exchange | undefined;
    finalUrl: URL;
    redirects: number;
    deadline: ProbeDeadline;
  }): ProbeOutcome {
    const o = this.#o;
    const durationMs = performance.now() - p.started;
    const ms = Math.round(durationMs);
    const target = this.#url.href;
    const reason = p.deadline.signal.reason as AppError | undefined;
    const ex = p.final;
    const code = ex?.statusCode;
    let status: CheckStatus = 'OK';
    let isSuccess = true;
    let failedDueToRegex = 0;
    const notes: string[] = [];
    let message: string;
    let health: HealthEvaluation | undefined;

    if (reason?.code === 'canceled') {
      status = 'UNKNOWN';
      isSuccess = false;
      message = `probe of ${target} aborted`;
    } else if (
      ex === undefined ||
      code === undefined ||
      (ex.error !== undefined && reason?.code === 'timeout')
    ) {
      status = 'CRITICAL';
      isSuccess = false;
      if (reason?.code === 'timeout') message = `timeout after ${o.timeoutMs} ms probing ${target}`;
      else if (p.resolveError !== undefined)
        message = `cannot resolve ${p.finalUrl.hostname} for ${target}: ${describeNetError(p.resolveError)}`;
      else message = `cannot connect to ${p.finalUrl.href}: ${describeNetError(ex?.error)} (after ${ms} ms)`;
    } else {
      message = `HTTP ${code} from ${p.finalUrl.href} in ${ms} ms`;
      if (p.redirects > 0)
        notes.push(`${p.redirects} redirect${p.redirects === 1 ? '' : 's'} from ${target}`);
      const valid = o.validStatusCodes;
      const isValidCode = valid && valid.length > 0 ? valid.includes(code) : code >= 200 && code < 300;
      if (!isValidCode) {
        isSuccess = false;
        notes.push(`expected ${valid && valid.length > 0 ? valid.join(', ') : '2xx'}`);
      }
      if (ex.error !== undefined) {
        isSuccess = false;
        notes.push(`reading the body failed: ${describeNetError(ex.error)}`);
      }
      if (isSuccess && (this.#matches.length > 0 || this.#notMatches.length > 0)) {
        const bad = this.#matches.find((re) => re.test(ex.body));
        const missing = this.#notMatches.find((re) => !re.test(ex.body));
        if (bad !== undefined || missing !== undefined) {
          isSuccess = false;
          failedDueToRegex = 1;
          notes.push(
            bad !== undefined ? `body matches ${String(bad)}` : `body does not match ${String(missing)}`,
          );
        }
      }
      if (isSuccess && this.#json.length > 0) {
        const why = this.#checkJson(ex.body);
        if (why !== undefined) {
          isSuccess = false;
          notes.push(why);
        }
      }
      if (o.isHealthCheck) {
        health = evaluateHealthBody(ex.body);
        if (health.message !== '') notes.push(health.message);
      }
      status = isSuccess ? 'OK' : 'CRITICAL';
      if (health?.status !== undefined) {
        status = worseStatus(status, health.status);
        if (health.status !== 'OK' && health.status !== 'WARNING') isSuccess = false;
      }
      if (ex.facts) {
        const cert = certificateStatus(
          ex.facts.leaf.expirySeconds,
          p.now(),
          o.certExpiryWarningMs ?? DEFAULT_CERT_EXPIRY_WARNING_MS,
        );
        status = worseStatus(status, cert.status);
        if (cert.note !== undefined) notes.push(cert.note);
        if (cert.status === 'CRITICAL') isSuccess = false;
      }
      if (notes.length > 0) message += `, ${notes.join(', ')}`;
    }

    const phases = { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 };
    p.traces.forEach((t, i) => {
      phases.resolve += t.lookupSeconds;
      if (t.gotConn === undefined) return;
      if (t.isTls) {
        // As blackbox_exporter: the tls phase runs from the end of the lookup, so it includes connect.
        phases.connect += ((t.connectDone ?? t.gotConn) - t.dnsDone) / 1000;
        phases.tls += (t.gotConn - t.dnsDone) / 1000;
      } else {
        phases.connect += (t.gotConn - t.dnsDone) / 1000;
      }
      if (t.responseStart === undefined) return;
      phases.processing += (t.responseStart - t.gotConn) / 1000;
      if (t.end !== undefined && i === p.traces.length - 1)
        phases.transfer += (t.end - t.responseStart) / 1000;
    });

    const contentLength = Number(ex?.headers?.['content-length'] ?? NaN);
    const families: MetricFamily[] = [
      gauge('probe_success', 'Whether the probe succeeded (1) or failed (0).', isSuccess ? 1 : 0),
      gauge('probe_duration_seconds', 'How long the probe took, in seconds.', durationMs / 1000),
      ...addressFamilies(p.firstResolve, p.firstResolve?.lookupSeconds ?? 0),
      {
        name: 'probe_http_duration_seconds',
        type: 'gauge',
        help: 'Time spent in each phase of the request, summed over redirects, in seconds.',
        samples: (['connect', 'processing', 'resolve', 'tls', 'transfer'] as const).map((phase) => ({
          name: 'probe_http_duration_seconds',
          labels: [{ name: 'phase', value: phase }],
          value: phases[phase],
        })),
      },
      gauge(
        'probe_http_content_length',
        'The Content-Length of the response (-1 when not sent).',
        code === undefined ? 0 : Number.isInteger(contentLength) ? contentLength : -1,
      ),
      gauge('probe_http_uncompressed_body_length', 'Bytes of response body read.', ex?.bodyBytes ?? 0),
      gauge('probe_http_redirects', 'Redirects received.', p.redirects),
      gauge('probe_http_ssl', 'Whether the final request used TLS (1) or not (0).', ex?.facts ? 1 : 0),
      gauge('probe_http_status_code', 'Status code of the final response (0 when none).', code ?? 0),
      gauge(
        'probe_http_version',
        'HTTP version of the final response (1.1, …; 0 when none).',
        Number(ex?.httpVersion ?? 0),
      ),
      gauge(
        'probe_failed_due_to_regex',
        'Whether the probe failed because of a body regexp.',
        failedDueToRegex,
      ),
    ];
    const lastModified = Date.parse(String(ex?.headers?.['last-modified'] ?? ''));
    if (Number.isFinite(lastModified)) {
      families.push(
        gauge(
          'probe_http_last_modified_timestamp_seconds',
          'The Last-Modified header of the response, in seconds since the epoch.',
          lastModified / 1000,
        ),
      );
    }
    if (ex?.facts) families.push(...tlsFamilies(ex.facts));

    const perfdata: PerfDatum[] = [timePerfDatum(durationMs / 1000)];
    if (ex !== undefined && code !== undefined) {
      perfdata.push({
        label: 'size',
        value: ex.bodyBytes,
        unit: 'B',
        baseValue: ex.bodyBytes,
        baseUnit: 'bytes',
        min: 0,
      });
    }
    return {
      result: {
        status,
        message,
        longOutput: '',
        perfdata,
        startedAtMs: p.startedAtMs,
        durationMs,
        exitCode: null,
        ...(reason?.code === 'timeout' && !isSuccess && { reason: 'timeout' }),
      },
      families,
    };
  }

  /** Why the JSON assertions fail, or undefined when they hold. */
  #checkJson(body: string): string | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return 'body is not JSON';
    }
    for (const { path, steps, assertion } of this.#json) {
      const got = selectJsonPath(doc, steps);
      if (!got.found) return `${path} not found`;
      if (assertion.equals !== undefined && got.value !== assertion.equals) {
        return `${path} is ${JSON.stringify(got.value)}, expected ${JSON.stringify(assertion.equals)}`;
      }
    }
    return undefined;
  }

  /** One request and its response, read to the end. Resolves always; failures are in `error`. */
  #exchange(
    url: URL,
    addr: ResolvedAddress,
    method: string,
    body: string | undefined,
    trace: Trace,
    signal: AbortSignal,
  ): Promise<Exchange> {
    const o = this.#o;
    const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const isHttps = url.protocol === 'https:';
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const serverName = o.serverName ?? (isIP(hostname) === 0 ? hostname : undefined);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, host: url.host };
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k.toLowerCase()] = v;
    const options: RequestOptions & Record<string, unknown> = {
      host: addr.address,
      port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      agent: false,
      signal,
    };
    if (isHttps) {
      if (serverName !== undefined) options['servername'] = serverName;
      options['rejectUnauthorized'] = o.verifyTls ?? true;
      if (o.caPem !== undefined) options['ca'] = o.caPem;
      options['checkServerIdentity'] = (_host: string, cert: Parameters<typeof checkServerIdentity>[1]) =>
        checkServerIdentity(serverName ?? hostname, cert);
    }
    return new Promise<Exchange>((resolve) => {
      const out: Exchange = { bodyBytes: 0, body: '' };
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let isDone = false;
      const finish = (error?: unknown): void => {
        if (isDone) return;
        isDone = true;
        out.body = Buffer.concat(kept).toString('utf8');
        if (error !== undefined) out.error = error;
        resolve(out);
      };
      const req = (isHttps ? httpsRequest : httpRequest)(options);
      req.on('socket', (socket) => {
        socket.once('connect', () => {
          trace.connectDone = performance.now();
          if (!isHttps) trace.gotConn = trace.connectDone;
        });
        if (isHttps) {
          socket.once('secureConnect', () => {
            trace.gotConn = performance.now();
            const facts = tlsFacts(socket as TLSSocket);
            if (facts) out.facts = facts;
          });
        }
      });
      req.on('response', (res) => {
        trace.responseStart = performance.now();
        if (res.statusCode !== undefined) out.statusCode = res.statusCode;
        out.httpVersion = res.httpVersion;
        out.headers = res.headers;
        res.on('data', (chunk: Buffer) => {
          out.bodyBytes += chunk.length;
          if (keptBytes < maxBody) {
            const piece = chunk.subarray(0, maxBody - keptBytes);
            kept.push(piece);
            keptBytes += piece.length;
          }
        });
        res.on('end', () => {
          trace.end = performance.now();
          finish();
        });
        res.on('error', (e) => finish(e));
        res.on('close', () => {
          if (!res.complete) finish(new Error('connection closed before the body was complete'));
        });
      });
      req.on('error', (e) => finish(e));
      req.end(body);
    });
  }
}

function isRedirect(code: number | undefined): boolean {
  return code === 301 || code === 302 || code === 303 || code === 307 || code === 308;
}
