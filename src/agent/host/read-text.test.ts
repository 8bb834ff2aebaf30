import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PseudoFileReader, readText, readTextSync } from './read-text.js';

describe('readText', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kanshi-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['empty', ''],
    ['small', 'MemTotal: 1 kB\n'],
    ['exactly the first buffer', 'x'.repeat(16 * 1024)],
    ['larger than several buffers', 'y'.repeat(100_000) + '\n'],
    ['multi-byte UTF-8', 'héllo 監視\n'],
  ])('reads a %s file whole', async (name, content) => {
    const p = join(dir, name.replaceAll(' ', '-'));
    await writeFile(p, content);
    expect(await readText(p)).toBe(content);
  });

  it('reads a real procfs file (size 0 to stat)', async () => {
    expect(await readText('/proc/self/stat')).toMatch(/^\d+ \(/);
  });

  it('rejects with the fs error code for a missing file', async () => {
    await expect(readText(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects with the reason of an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(readText('/proc/self/stat', ac.signal)).rejects.toThrow('gone');
  });
});

describe('readTextSync', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kanshi-read-sync-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads files of every size whole, the small one after a large one too', async () => {
    const cases = [
      ['empty', ''],
      ['small', 'MemTotal: 1 kB\n'],
      ['exactly the first buffer', 'x'.repeat(16 * 1024)],
      ['larger than several buffers', 'y'.repeat(100_000) + '\n'],
      ['small again', 'z\n'],
      ['multi-byte UTF-8', 'héllo 監視\n'],
    ] as const;
    for (const [name, content] of cases) {
      const p = join(dir, name.replaceAll(' ', '-'));
      await writeFile(p, content);
      expect(readTextSync(p), name).toBe(content);
    }
  });

  it('reads a real procfs file (size 0 to stat)', () => {
    expect(readTextSync('/proc/self/stat')).toMatch(/^\d+ \(/);
  });

  it('throws the fs error code for a missing file', () => {
    expect(() => readTextSync(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('PseudoFileReader', () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  /** rchar of /proc/self/io: bytes this process has read, so each read of the file changes it. */
  const rchar = (text: string): number => Number(/^rchar: (\d+)$/m.exec(text)?.[1]);

  it('reads fresh contents through a descriptor it keeps open', () => {
    const reader = new PseudoFileReader();
    const before = openFds();
    const first = rchar(reader.read('/proc/self/io'));
    const second = rchar(reader.read('/proc/self/io'));
    expect(second).toBeGreaterThan(first);
    expect(reader.keptCount).toBe(1);
    expect(openFds()).toBe(before + 1);
    reader.close();
    expect(openFds()).toBe(before);
  });

  it('reads a file longer than its buffer whole, again and again', () => {
    const reader = new PseudoFileReader();
    const a = reader.read('/proc/self/maps');
    const b = reader.read('/proc/self/maps');
    expect(a.length).toBeGreaterThan(0);
    expect(b.split('\n')[0]).toBe(a.split('\n')[0]);
    reader.close();
  });

  it('closes on sweep the descriptors of files not read since the previous sweep', () => {
    const reader = new PseudoFileReader();
    reader.read('/proc/self/io');
    reader.read('/proc/self/stat');
    reader.sweep();
    expect(reader.keptCount).toBe(2);
    reader.read('/proc/self/io');
    reader.sweep();
    expect(reader.keptCount).toBe(1);
    reader.close();
    expect(reader.keptCount).toBe(0);
  });

  it('throws the fs error for a missing file and keeps nothing for it', () => {
    const reader = new PseudoFileReader();
    expect(() => reader.read('/proc/self/no-such-file')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(reader.keptCount).toBe(0);
  });
});
