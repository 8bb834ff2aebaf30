import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../base/logger.js';

/**
 * Serves the built web UI (ui/, built by `vite build` into dist/ui): hashed files under
 * `/assets/` with immutable caching, every other file with revalidation, `index.html` for the
 * client-side routes (`/`, `/hosts/web-1`, `/explore?expr=…`), and a page that says how to build
 * the UI when it was not built. Compressible files are sent brotli- or gzip-encoded when the
 * client accepts it; each encoding is computed once per file version and kept in memory (the
 * whole UI is a few hundred kilobytes).
 */

/** Options of {@link registerUi}. */
export interface UiOptions {
  /** Folder of the built UI (index.html, assets/); usually {@link defaultUiDistDir}. */
  distDir: string;
  /**
   * Path prefixes that are never answered with index.html, so an unknown API path still gets the
   * JSON 404 of the not-found handler. Default {@link DEFAULT_RESERVED_PREFIXES}.
   */
  reservedPrefixes?: readonly string[];
  logger?: Logger;
}

/** Prefixes of server routes: a miss under them is a 404, not a client route. */
export const DEFAULT_RESERVED_PREFIXES: readonly string[] = [
  '/api/',
  '/-/',
  '/metrics',
  '/healthz',
  '/readyz',
  '/federate',
];

/**
 * Where `npm run build` puts the UI: `<package root>/dist/ui`. This module sits three folders
 * below the package root both as source (src/server/ui) and compiled (dist/server/ui).
 */
export function defaultUiDistDir(): string {
  return fileURLToPath(new URL('../../../dist/ui/', import.meta.url));
}

/** Files smaller than this are sent as they are: compressing them saves less than the headers. */
const MIN_COMPRESS_BYTES = 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.txt',
  '.webmanifest',
]);

type Encoding = 'br' | 'gzip' | 'identity';

interface CachedFile {
  /** Identity of the file version: size and mtime. */
  readonly version: string;
  readonly body: Buffer;
  readonly encoded: Map<Encoding, Promise<Buffer>>;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Adds `GET /*` (and so HEAD) to `app`: static files of `options.distDir` and the UI's client
 * routes. Routes registered on `app` before or after take precedence, since fastify matches
 * static paths before a wildcard; a path under a reserved prefix that matches no route goes to
 * the app's not-found handler.
 */
export function registerUi(app: FastifyInstance, options: UiOptions): void {
  const distDir = path.resolve(options.distDir);
  const reserved = options.reservedPrefixes ?? DEFAULT_RESERVED_PREFIXES;
  const cache = new Map<string, CachedFile>();
  let warnedMissing = false;

  const load = async (file: string): Promise<CachedFile | undefined> => {
    let st;
    try {
      st = await stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const version = `${st.size.toString(36)}-${Math.trunc(st.mtimeMs).toString(36)}`;
    const hit = cache.get(file);
    if (hit?.version === version) return hit;
    const entry: CachedFile = { version, body: await readFile(file), encoded: new Map() };
    cache.set(file, entry);
    return entry;
  };

  const send = async (req: FastifyRequest, reply: FastifyReply, file: string, entry: CachedFile) => {
    const ext = path.extname(file).toLowerCase();
    const isHashed = path.relative(distDir, file).startsWith(`assets${path.sep}`);
    const etag = `W/"${entry.version}"`;
    void reply
      .header('content-type', CONTENT_TYPES[ext] ?? 'application/octet-stream')
      .header('cache-control', isHashed ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff');
    if (ext === '.html') void reply.header('referrer-policy', 'same-origin');
    const compressible = COMPRESSIBLE.has(ext) && entry.body.length >= MIN_COMPRESS_BYTES;
    if (compressible) void reply.header('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    const encoding = compressible ? pickEncoding(req.headers['accept-encoding']) : 'identity';
    if (encoding === 'identity') return reply.send(entry.body);
    let body = entry.encoded.get(encoding);
    if (!body) {
      body =
        encoding === 'br'
          ? brotli(entry.body, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: entry.body.length,
              },
            })
          : gzip(entry.body, { level: 9 });
      entry.encoded.set(encoding, body);
    }
    return reply.header('content-encoding', encoding).send(await body);
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const pathname = safePathname(req.url);
    if (pathname === undefined || reserved.some((p) => pathname.startsWith(p))) {
      return reply.callNotFound();
    }
    const file = path.resolve(distDir, `.${pathname}`);
    if (file !== distDir && !file.startsWith(distDir + path.sep)) return reply.callNotFound();
    if (pathname !== '/' && !pathname.endsWith('/')) {
      const entry = await load(file);
      if (entry) return send(req, reply, file, entry);
      // A missing file with an extension is a broken link, not a page of the app.
      if (path.extname(pathname) !== '') return reply.callNotFound();
    }
    const indexFile = path.join(distDir, 'index.html');
    const index = await load(indexFile);
    if (index) return send(req, reply, indexFile, index);
    if (!warnedMissing) {
      warnedMissing = true;
      options.logger?.warn({ distDir }, 'web UI not built: serving the build instructions instead');
    }
    return reply
      .code(503)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(notBuiltPage(distDir));
  };
  app.get('/*', handler);
}

/** The decoded path of a request URL, or undefined when it is malformed or contains NUL. */
function safePathname(url: string): string | undefined {
  const raw = url.split('?', 1)[0] ?? '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || !decoded.startsWith('/')) return undefined;
  return path.posix.normalize(decoded);
}

/** The best encoding `accept` allows: brotli, then gzip, else none. q=0 excludes one. */
export function pickEncoding(accept: string | readonly string[] | undefined): Encoding {
  const text = typeof accept === 'string' ? accept : (accept ?? []).join(',');
  const accepted = new Set<string>();
  for (const part of text.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    if (name !== '') accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

function notBuiltPage(distDir: string): string {
  const dir = distDir.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Kanshi: web UI not built</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem;line-height:1.5}
code{background:#8882;padding:.1rem .3rem;border-radius:3px}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}}</style></head><body>
<h1>The web UI has not been built</h1>
<p>Kanshi is running: the Prometheus API (<a href="/api/v1/labels">/api/v1</a>), remote_write and
<a href="/metrics">/metrics</a> answer. The pages of the web UI are missing from <code>${dir}</code>.</p>
<p>Build them with <code>npm run build</code> (or start with <code>npm start</code>, which builds first), then reload.</p>
<p lang="ja">Web UI がビルドされていません。<code>npm run build</code> を実行してから再読み込みしてください。</p>
</body></html>
`;
}
