/** `127.0.0.1:9800` → { host, port }; `[::1]:9800` too; an empty host means all interfaces. */
export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) return { host: '127.0.0.1', port: 9800 };
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}
