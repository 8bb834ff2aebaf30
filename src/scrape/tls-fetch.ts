import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { Readable } from 'node:stream';

/**
 * A fetch for HTTPS scrapes with Prometheus's `tls_config` (insecure_skip_verify, ca_file,
 * server_name), which Node's global fetch cannot take without undici's dispatcher API. Plain http
 * URLs go to the global fetch. Only what scrapeTarget needs: GET, headers, signal, streamed body;
 * gzip is left encoded (scrapeTarget decodes it) and redirects are not followed.
 */

/** TLS settings of a scrape pool. */
export interface TlsFetchOptions {
  readonly insecureSkipVerify: boolean;
  /** PEM file of CAs to trust instead of the system's; read at every request, as certificates rotate. */
  readonly caFile?: string;
  /** SNI and verification name, when it differs from the URL's host. */
  readonly serverName?: string;
}

/** Returns a fetch-compatible function applying `options` to https requests. */
export function tlsFetch(options: TlsFetchOptions): typeof fetch {
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'https:') return fetch(input, init);
    const ca = options.caFile !== undefined ? await readFile(options.caFile) : undefined;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        {
          method: init?.method ?? 'GET',
          headers,
          rejectUnauthorized: !options.insecureSkipVerify,
          ...(ca !== undefined ? { ca } : {}),
          ...(options.serverName !== undefined ? { servername: options.serverName } : {}),
          ...(init?.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined) continue;
            for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
          }
          const status = res.statusCode ?? 0;
          const body =
            status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: h }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  };
  return f;
}
