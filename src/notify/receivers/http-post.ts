import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { AppError, errorMessage } from '../../base/errors.js';
import { KANSHI_VERSION } from '../../base/version.js';
import type { NotifyHttpConfig } from './schema.js';

/**
 * The HTTP side every webhook-style receiver shares: `http_config` (basic auth, authorization,
 * bearer token, TLS), a JSON POST, and the mapping of outcomes to retryable or final errors as
 * Alertmanager's notify.RetryStage does: network errors, 429 and 5xx are retryable (AppError
 * `unavailable`), other 4xx (and 3xx) are final (`bad_input`), an elapsed deadline is `timeout`.
 */

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** What the error messages call the integration, e.g. `webhook`. */
  readonly kind: string;
  readonly httpConfig?: NotifyHttpConfig | undefined;
  readonly signal: AbortSignal;
  /** Injected fetch (tests); default the global one (or a TLS-aware one when tls_config is set). */
  readonly fetch?: typeof fetch | undefined;
  readonly headers?: Readonly<Record<string, string>>;
  /** Own deadline of this request in ms; 0 or absent = only `signal`. */
  readonly timeoutMs?: number;
}

/** The User-Agent of Kanshi's notifications. */
export const NOTIFY_USER_AGENT = `Kanshi/${KANSHI_VERSION}`;

/** Reads a secret file as Prometheus does: whole file, surrounding whitespace trimmed. */
export async function readSecretFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    throw new AppError('io', `read secret file ${path}: ${errorMessage(e)}`, { cause: e });
  }
}

async function authHeader(c: NotifyHttpConfig | undefined): Promise<string | undefined> {
  if (!c) return undefined;
  if (c.basic_auth) {
    const password =
      c.basic_auth.password_file !== undefined
        ? await readSecretFile(c.basic_auth.password_file)
        : (c.basic_auth.password ?? '');
    return `Basic ${Buffer.from(`${c.basic_auth.username}:${password}`).toString('base64')}`;
  }
  if (c.authorization) {
    const cred =
      c.authorization.credentials_file !== undefined
        ? await readSecretFile(c.authorization.credentials_file)
        : (c.authorization.credentials ?? '');
    return `${c.authorization.type} ${cred}`;
  }
  if (c.bearer_token_file !== undefined) return `Bearer ${await readSecretFile(c.bearer_token_file)}`;
  if (c.bearer_token !== undefined) return `Bearer ${c.bearer_token}`;
  return undefined;
}

/** The URL without path, query and credentials: webhook URLs carry secrets (Slack, Discord tokens). */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '<invalid url>';
  }
}

/**
 * POSTs `body` as JSON to `url`; resolves with the response text on 2xx, rejects with an AppError
 * (`unavailable`/`timeout` retryable, `bad_input` final, `canceled` when `signal` aborted).
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<string> {
  const auth = await authHeader(options.httpConfig);
  const tls = options.httpConfig?.tls_config;
  const doFetch = options.fetch ?? (tls ? tlsPostFetch(tls) : fetch);
  const timeout = options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : undefined;
  const signal =
    timeout !== undefined ? AbortSignal.any([options.signal, AbortSignal.timeout(timeout)]) : options.signal;
  const where = `${options.kind} POST ${redactUrl(url)}`;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': NOTIFY_USER_AGENT,
        ...(auth !== undefined ? { Authorization: auth } : {}),
        ...options.headers,
      },
      body: JSON.stringify(body),
      signal,
      redirect: options.httpConfig?.follow_redirects === false ? 'manual' : 'follow',
    });
  } catch (e) {
    if (options.signal.aborted) throw new AppError('canceled', `${where}: canceled`, { cause: e });
    if (signal.aborted) throw new AppError('timeout', `${where}: timed out after ${timeout}ms`, { cause: e });
    throw new AppError('unavailable', `${where}: ${causeMessage(e)}`, { cause: e });
  }
  let text = '';
  try {
    text = await res.text();
  } catch (e) {
    if (res.ok) throw new AppError('unavailable', `${where}: reading response: ${causeMessage(e)}`);
  }
  if (res.ok) return text;
  const detail = `${where}: unexpected status ${res.status}${text !== '' ? `: ${text.slice(0, 200)}` : ''}`;
  throw new AppError(isRetryableStatus(res.status) ? 'unavailable' : 'bad_input', detail);
}

/** Alertmanager's RetryStage: 5xx and 429 are worth retrying, everything else is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function causeMessage(e: unknown): string {
  const cause = e instanceof Error && e.cause !== undefined ? e.cause : undefined;
  return cause !== undefined ? `${errorMessage(e)}: ${errorMessage(cause)}` : errorMessage(e);
}

/** Resolves a `url` / `url_file` pair (read at every send, as Alertmanager does). */
export async function resolveUrl(url: string | undefined, urlFile: string | undefined): Promise<string> {
  if (url !== undefined) return url;
  if (urlFile !== undefined) return readSecretFile(urlFile);
  throw new AppError('bad_input', 'no url configured');
}

type TlsConfig = NonNullable<NotifyHttpConfig['tls_config']>;

/**
 * A fetch for POSTs to https URLs with `tls_config` (insecure_skip_verify, ca_file, server_name), which
 * Node's global fetch cannot take without undici's dispatcher API; plain http goes to the global fetch.
 * Redirects are not followed. The CA file is read at every request, as certificates rotate.
 */
function tlsPostFetch(tls: TlsConfig): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'https:') return fetch(input, init);
    const ca = tls.ca_file !== undefined ? await readFile(tls.ca_file) : undefined;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = typeof init?.body === 'string' ? init.body : '';
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        {
          method: init?.method ?? 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          rejectUnauthorized: !tls.insecure_skip_verify,
          ...(ca !== undefined ? { ca } : {}),
          ...(tls.server_name !== undefined ? { servername: tls.server_name } : {}),
          ...(init?.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks);
            resolve(new Response(status === 204 || status === 304 ? null : text, { status }));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
