import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurably } from './durable-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kanshi-durable-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileDurably', () => {
  it('replaces the content and leaves no temporary file', async () => {
    const file = path.join(dir, 'state.json');
    await writeFileDurably(file, 'old');
    await writeFileDurably(file, new TextEncoder().encode('new ✓'));
    expect(await readFile(file, 'utf8')).toBe('new ✓');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('creates missing folders only when asked, with the given mode', async () => {
    const file = path.join(dir, 'a', 'b', 'log.json');
    await expect(writeFileDurably(file, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFileDurably(file, 'x', { isMkdir: true, mode: 0o600 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
