/**
 * Metadata store benchmark: how fast the SQLite metadata store (src/server/metadata) takes check
 * results and alert events, and how long the availability the UI asks for takes to compute.
 *
 *   npm run build && node bench/metadata.mjs [--hosts 100] [--checks 10] [--rounds 50] [--events 20000]
 *
 * - check results: each round every host puts its `--checks` results in one call (one transaction,
 *   one fsync with synchronous = FULL), as the agent API does per request; prints results/s and
 *   puts/s, then the same with synchronous = NORMAL for comparison.
 * - alert events: `--events` events recorded in ticks of 100 and of 1 (one flush per tick).
 * - availability: 30 days of one result a minute for one check, windows 24h/7d/30d ending at
 *   midday in one call, cold and with whole days cached; then the availability API's work for every
 *   check (hosts × checks, 7 days at one result per 5 minutes each), cold and warm.
 *
 * Runs on the compiled JS in dist/, in a temporary folder on the same disk as /tmp. A benchmark, not
 * a test: numbers depend on the machine and its disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIST = new URL('../dist/', import.meta.url);
const { MetadataDb } = await import(new URL('server/metadata/db.js', DIST).href);
const { SqliteCheckResultStore } = await import(new URL('server/metadata/check-history.js', DIST).href);
const { SqliteAlertHistory } = await import(new URL('server/metadata/alert-history.js', DIST).href);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}
const HOSTS = arg('hosts', 100);
const CHECKS = arg('checks', 10);
const ROUNDS = arg('rounds', 50);
const EVENTS = arg('events', 20_000);
const MIN = 60_000;
const DAY = 86_400_000;

function result(check, startedAt, status = 'OK') {
  return {
    check,
    status,
    message: `${check} ${status}: everything is fine here`,
    long_output: '',
    perfdata: [{ label: 'time', value: 0.012, unit: 's', warn: '1', crit: '2', min: 0 }],
    started_at: startedAt,
    duration_ms: 12,
    attempt: 1,
    hard_status: status,
    memo: '',
    prevent_alert_auto_close: false,
    notification_interval_ms: null,
    labels: { service: 'api' },
  };
}

const dir = await mkdtemp(join(tmpdir(), 'kanshi-bench-metadata-'));
const rows = [];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
try {
  for (const sync of ['FULL', 'NORMAL']) {
    const db = MetadataDb.openInDir(join(dir, `checks-${sync}`));
    db.statement(`PRAGMA synchronous = ${sync}`).run();
    const clock = { now: () => 0, sleep: async () => {} };
    const store = new SqliteCheckResultStore(db, { clock });
    const t0 = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (let h = 0; h < HOSTS; h++) {
        const results = [];
        for (let c = 0; c < CHECKS; c++) results.push(result(`check-${c}`, round * MIN));
        await store.put(`host-${h}`, results);
      }
    }
    const s = (performance.now() - t0) / 1000;
    const n = ROUNDS * HOSTS * CHECKS;
    rows.push([
      `check results, synchronous=${sync}`,
      `${fmt(n / s)} results/s`,
      `${fmt((ROUNDS * HOSTS) / s)} puts/s of ${CHECKS}`,
    ]);
    db.close();
  }

  for (const tick of [100, 1]) {
    const db = MetadataDb.openInDir(join(dir, `alerts-${tick}`));
    const history = new SqliteAlertHistory(db, { scheduleFlush: () => {} });
    const count = tick === 1 ? Math.min(EVENTS, 2_000) : EVENTS;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      history.record({
        atMs: i * 1000,
        fingerprint: (i % 500).toString(16).padStart(16, '0'),
        labels: { alertname: `Alert${i % 50}`, host: `host-${i % 100}`, severity: 'warning' },
        kind: ['opened', 'notified', 'resolved'][i % 3],
        detail: { receiver: 'ops' },
      });
      if ((i + 1) % tick === 0) history.flush();
    }
    history.flush();
    const s = (performance.now() - t0) / 1000;
    rows.push([
      `alert events, ${tick} per tick`,
      `${fmt(count / s)} events/s`,
      `${fmt(count / tick / s)} flushes/s`,
    ]);
    db.close();
  }

  {
    const db = MetadataDb.openInDir(join(dir, 'availability'));
    const now = 30 * DAY + DAY / 2; // midday: windows start and end inside days
    const store = new SqliteCheckResultStore(db, { clock: { now: () => now, sleep: async () => {} } });
    const batch = [];
    for (let t = 0; t < now; t += MIN)
      batch.push(result('http', t, t % (97 * MIN) === 0 ? 'CRITICAL' : 'OK'));
    for (let i = 0; i < batch.length; i += 10_000) await store.put('web-1', batch.slice(i, i + 10_000));
    const windows = [DAY, 7 * DAY, 30 * DAY].map((w) => ({ fromMs: now - w, toMs: now }));
    let t0 = performance.now();
    store.availability('web-1', 'http', windows);
    rows.push([
      `availability 24h/7d/30d, 1 check × ${fmt(batch.length)} results, cold`,
      `${(performance.now() - t0).toFixed(1)} ms`,
      '',
    ]);
    const runs = 10;
    t0 = performance.now();
    for (let i = 0; i < runs; i++) store.availability('web-1', 'http', windows);
    rows.push([
      'availability 24h/7d/30d, same, warm (whole days cached)',
      `${((performance.now() - t0) / runs).toFixed(1)} ms`,
      '',
    ]);

    for (let h = 0; h < HOSTS; h++) {
      const results = [];
      for (let t = now - 7 * DAY; t < now; t += 5 * MIN)
        for (let c = 0; c < CHECKS; c++) results.push(result(`check-${c}`, t));
      await store.put(`host-${h}`, results);
    }
    for (const pass of ['cold', 'warm']) {
      const t1 = performance.now();
      const list = await store.list();
      for (const r of list) store.availability(r.host, r.check, windows);
      rows.push([
        `availability API work, ${list.length} checks × 7 days at 1/5min, ${pass}`,
        `${fmt(performance.now() - t1)} ms`,
        '',
      ]);
    }
    db.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const width = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`node ${process.version}, ${HOSTS} hosts × ${CHECKS} checks, ${ROUNDS} rounds\n`);
for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(width)}  ${b.padStart(18)}  ${c}\n`);
