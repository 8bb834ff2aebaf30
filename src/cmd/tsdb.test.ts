import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from './args.js';
import { runTsdbCommand } from './tsdb.js';

const testdata = fileURLToPath(new URL('../tsdb/import/testdata/', import.meta.url));
let dataDir = '';
let out: string[] = [];
let err: string[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kanshi-cmd-tsdb-'));
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dataDir, { recursive: true, force: true });
});

interface JsonStats {
  headSeries: number;
  blocks: number;
  blockSamples: number;
  bytesPerSample: number | null;
  topMetrics: { name: string; series: number }[];
  topLabelNames: { name: string; values: number }[];
}

async function stats(): Promise<JsonStats> {
  out = [];
  expect(await runTsdbCommand(['stats', '--data', dataDir, '--json'])).toBe(0);
  return JSON.parse(out.join('\n')) as JsonStats;
}

describe('kanshi tsdb', () => {
  it('imports OpenMetrics with timestamps into blocks that stats then counts', async () => {
    const code = await runTsdbCommand(['import', path.join(testdata, 'samples.om'), '--data', dataDir]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^imported 4 samples of 3 series .* into 2 block\(s\)/);
    const s = await stats();
    expect(s).toMatchObject({ headSeries: 0, blocks: 2, blockSamples: 4 });
    expect(s.bytesPerSample).toBeGreaterThan(0);
    expect(s.topMetrics).toEqual([
      { name: 'http_requests_total', series: 2 },
      { name: 'temperature_celsius', series: 1 },
    ]);
    expect(s.topLabelNames[0]).toEqual({ name: '__name__', values: 2 });
  });

  it('imports CSV by its extension and prints stats as text', async () => {
    expect(await runTsdbCommand(['import', path.join(testdata, 'samples.csv'), '--data', dataDir])).toBe(0);
    expect(out[0]).toMatch(/^imported 4 samples of 3 series/);
    out = [];
    expect(await runTsdbCommand(['stats', '--data', dataDir])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('Blocks: 1, 4 samples');
    expect(text).toMatch(/^\s+2\s+http_requests_total$/m);
    expect(text).toMatch(/^\s+1\s+temperature_celsius$/m);
  });

  it('writes nothing when a line is wrong or a sample has no timestamp', async () => {
    const file = path.join(dataDir, 'bad.om');
    await writeFile(file, '# TYPE a gauge\na 1 1700000000\na{x="1"} 2\n# EOF\n');
    expect(await runTsdbCommand(['import', file, '--data', dataDir])).toBe(1);
    expect(err).toContain(`${file}: sample a has no timestamp`);
    expect(err[err.length - 1]).toMatch(/1 problem\(s\) .* nothing was written$/);
    expect(await readdir(dataDir)).toEqual(['bad.om']);

    const csv = path.join(dataDir, 'bad.csv');
    await writeFile(csv, 'metric,timestamp,value\nup,1,x\n');
    err = [];
    expect(await runTsdbCommand(['import', csv, '--data', dataDir])).toBe(1);
    expect(err[0]).toBe(`${csv}:2: invalid value "x"`);
  });

  it('reads the text format 0.0.4 when the file has no # EOF', async () => {
    const file = path.join(dataDir, 'plain.prom');
    await writeFile(file, 'up{job="a"} 1 1700000000000\nup{job="b"} 0 1700000000000\n');
    expect(await runTsdbCommand(['import', file, '--data', dataDir])).toBe(0);
    expect((await stats()).topMetrics).toEqual([{ name: 'up', series: 2 }]);
  });

  it('reports a missing store and usage mistakes', async () => {
    expect(await runTsdbCommand(['stats', '--data', path.join(dataDir, 'nope')])).toBe(1);
    await expect(runTsdbCommand(['import'])).rejects.toThrow(UsageError);
    await expect(runTsdbCommand(['import', 'x', '--format', 'xml'])).rejects.toThrow(UsageError);
    await expect(runTsdbCommand(['frobnicate'])).rejects.toThrow(UsageError);
  });
});
