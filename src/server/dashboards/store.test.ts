import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../base/clock.js';
import { AppError } from '../../base/errors.js';
import { nullLogger } from '../../base/logger.js';
import { DashboardStore } from './store.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'kanshi-dash-'));
  dirs.push(d);
  return d;
}

const PANEL = { type: 'stat', title: 'Up', gridPos: { x: 0, y: 0, w: 6, h: 4 }, targets: [{ expr: 'up' }] };
const YAML_HOST = `title: Host\ntags: [linux]\npanels:\n  - type: timeseries\n    gridPos: {x: 0, y: 0, w: 24, h: 8}\n    targets: [{expr: 'rate(node_cpu_seconds_total[5m])'}]\n`;

async function setup(files: Record<string, string>, extra?: Record<string, string>) {
  const root = await tmp();
  const main = path.join(root, 'dashboards');
  const other = path.join(root, 'more');
  await mkdir(main);
  for (const [n, t] of Object.entries(files)) await writeFile(path.join(main, n), t);
  if (extra) {
    await mkdir(other);
    for (const [n, t] of Object.entries(extra)) await writeFile(path.join(other, n), t);
  }
  let reloads = 0;
  const store = new DashboardStore({
    dirs: [main, other],
    clock: systemClock,
    logger: nullLogger,
    debounceMs: 20,
    pollIntervalMs: 100,
    onReload: () => reloads++,
  });
  await store.load();
  return { store, main, other, reloads: () => reloads };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
}

describe('DashboardStore', () => {
  it('reads YAML and JSON files from every folder, uid from the file or its name', async () => {
    const s = await setup(
      {
        'host.yaml': YAML_HOST,
        'b.json': JSON.stringify({ uid: 'svc', title: 'Services', panels: [PANEL] }),
      },
      { 'x.yml': 'title: Extra\n', 'notes.txt': 'ignored' },
    );
    expect(s.store.list().map((e) => [e.uid, e.title, e.format, e.error])).toEqual([
      ['svc', 'Services', 'json', undefined],
      ['host', 'Host', 'yaml', undefined],
      ['x', 'Extra', 'yaml', undefined],
    ]);
    expect(s.store.get('host')?.dashboard?.panels[0]?.targets[0]?.expr).toBe(
      'rate(node_cpu_seconds_total[5m])',
    );
  });

  const badFiles: [string, string, string, RegExp][] = [
    ['YAML syntax', 'bad.yaml', 'title: [unclosed\n', /YAML syntax/],
    ['JSON syntax', 'bad.json', '{"title": ', /JSON syntax/],
    [
      'schema',
      'bad.yaml',
      'title: T\npanels:\n  - type: pie\n    gridPos: {x: 0, y: 0, w: 1, h: 1}\n',
      /panels\[0\]\.type/,
    ],
    ['duplicate uid', 'zz.yaml', 'uid: host\ntitle: Again\n', /uid "host" is already used by .*host\.yaml/],
    ['file name not a uid', 'a b.yaml', 'title: T\n', /not a valid uid/],
  ];
  it.each(badFiles)('lists a %s error without dropping the other files', async (_n, name, text, re) => {
    const s = await setup({ 'host.yaml': YAML_HOST, [name]: text });
    const bad = s.store.list().find((e) => e.file.endsWith(name));
    expect(bad?.error).toMatch(re);
    expect(bad?.dashboard).toBeUndefined();
    expect(s.store.get('host')?.dashboard?.title).toBe('Host');
  });

  it('creates in the first folder, keeps YAML files YAML on update, deletes', async () => {
    const s = await setup({ 'host.yaml': YAML_HOST });
    const created = await s.store.create({ title: 'My Board!', panels: [PANEL] }, { format: 'json' });
    expect(created.uid).toBe('my-board');
    expect(created.file).toBe(path.join(s.main, 'my-board.json'));
    expect(JSON.parse(await readFile(created.file, 'utf8'))).toMatchObject({
      uid: 'my-board',
      title: 'My Board!',
    });
    expect(await code(s.store.create({ title: 'x', uid: 'host' }))).toBe('conflict');

    const host = s.store.get('host');
    const updated = await s.store.update('host', { ...host?.dashboard, title: 'Host 2' }, host?.version);
    expect(updated.version).not.toBe(host?.version);
    const text = await readFile(path.join(s.main, 'host.yaml'), 'utf8');
    expect(parseYaml(text)).toMatchObject({ uid: 'host', title: 'Host 2', tags: ['linux'] });
    expect(await readdir(s.main)).toEqual(['host.yaml', 'my-board.json']);

    await s.store.delete('my-board', created.version);
    expect(s.store.get('my-board')).toBeUndefined();
    expect(await readdir(s.main)).toEqual(['host.yaml']);
  });

  it('refuses a write when the file changed since the version given or last read', async () => {
    const s = await setup({ 'host.yaml': YAML_HOST });
    const v1 = s.store.get('host')?.version;
    await writeFile(path.join(s.main, 'host.yaml'), YAML_HOST.replace('Host', 'Edited by hand'));
    expect(await code(s.store.update('host', { title: 'Mine' }, v1))).toBe('conflict');
    expect(await code(s.store.update('host', { title: 'Mine' }))).toBe('conflict');
    expect(await code(s.store.delete('host'))).toBe('conflict');
    expect(await readFile(path.join(s.main, 'host.yaml'), 'utf8')).toContain('Edited by hand');
    await s.store.load();
    expect(await code(s.store.update('host', { title: 'Mine' }))).toBe('ok');
    expect(await code(s.store.update('host', { title: 'Mine' }, v1))).toBe('conflict');
    expect(await code(s.store.update('host', { uid: 'other', title: 'Mine' }))).toBe('bad_input');
    expect(await code(s.store.update('nope', { title: 'Mine' }))).toBe('not_found');
  });

  it('reloads when a file is added, edited or removed', async () => {
    const s = await setup({ 'host.yaml': YAML_HOST });
    const ac = new AbortController();
    await s.store.startWatching();
    const running = s.store.run(ac.signal);
    const until = async (pred: () => boolean): Promise<void> => {
      while (!pred()) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      await writeFile(path.join(s.main, 'new.json'), JSON.stringify({ title: 'New' }));
      await until(() => s.store.get('new') !== undefined);
      await writeFile(path.join(s.main, 'host.yaml'), 'title: [broken\n');
      await until(() => s.store.get('host')?.error !== undefined);
      expect(s.store.get('new')?.title).toBe('New');
      await rm(path.join(s.main, 'new.json'));
      await until(() => s.store.get('new') === undefined);
    } finally {
      ac.abort();
      await running;
    }
    expect(s.reloads()).toBeGreaterThan(3);
  });
});
