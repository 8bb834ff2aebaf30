import http from 'node:http';
import https from 'node:https';

/**
 * The part of `fetch` the Shipper uses: one POST with a body, its status, a header and a little of
 * the reply. The global fetch satisfies it; {@link httpPost} is the agent's implementation.
 */
export type PostFn = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: Uint8Array;
    signal: AbortSignal;
  },
) => Promise<PostResponse>;

/** What {@link PostFn} resolves with. */
export interface PostResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** Bytes of a reply body kept for {@link PostResponse.text}; the rest is read and dropped. */
const MAX_REPLY_BYTES = 64 * 1024;

let agents: { http: http.Agent; https: https.Agent } | undefined;

/**
 * A {@link PostFn} on node:http/node:https with keep-alive connections. Why not the global fetch:
 * it loads undici, which was ~10 MiB of the agent's resident memory for one POST every few
 * seconds. Rejects on a network error or when `signal` aborts; resolves for any HTTP status.
 */
export const httpPost: PostFn = (url, init) =>
  new Promise((resolve, reject) => {
    agents ??= {
      http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 4 }),
    };
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    const request = isHttps ? https.request : http.request;
    const req = request(
      u,
      {
        method: init.method,
        headers: { ...init.headers, 'content-length': String(init.body.length) },
        agent: isHttps ? agents.https : agents.http,
        signal: init.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_REPLY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).subarray(0, MAX_REPLY_BYTES).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              get: (name) => {
                const v = res.headers[name.toLowerCase()];
                return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
              },
            },
            text: () => Promise.resolve(text),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
