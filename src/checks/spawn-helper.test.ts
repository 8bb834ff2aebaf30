import { spawn } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnHelper, type HelperOutcome, type HelperRequest } from './spawn-helper.js';

// What runCommand sees through the helper is tested in run-command.test.ts, both ways; these are
// the helper's own concerns: what it sets in itself between commands, and its lifecycle.

let helper: SpawnHelper;
let dir: string;
beforeAll(async () => {
  const h = await SpawnHelper.start();
  if (!h) throw new Error('the spawn helper did not start: is /usr/bin/perl installed?');
  helper = h;
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'kanshi-spawn-helper-')));
});
afterAll(async () => {
  await helper.close();
  await rm(dir, { recursive: true, force: true });
});

const PATH = '/usr/bin:/bin';

function run(
  args: readonly string[],
  options: Partial<Omit<HelperRequest, 'args'>> = {},
): Promise<HelperOutcome & { stdoutText: string }> {
  return helper
    .run({
      file: args[0]!,
      args: args.slice(1),
      env: { PATH },
      maxOutputBytes: 65536,
      onPid: () => {},
      ...options,
    })
    .then((o) => ({ ...o, stdoutText: o.stdout.toString('utf8') }));
}

describe('SpawnHelper', () => {
  it('gives each command its own environment when consecutive commands differ', async () => {
    const printEnv = ['/usr/bin/env'];
    const a = await run(printEnv, { env: { PATH, A: '1' } });
    const b = await run(printEnv, { env: { PATH, B: '2' } });
    const a2 = await run(printEnv, { env: { PATH, A: '1' } });
    const lines = (o: { stdoutText: string }) => o.stdoutText.split('\n').filter((l) => l !== '');
    expect(lines(a).sort()).toEqual(['A=1', `PATH=${PATH}`]);
    expect(lines(b).sort()).toEqual(['B=2', `PATH=${PATH}`]);
    expect(lines(a2).sort()).toEqual(['A=1', `PATH=${PATH}`]);
  });

  it('runs in the given folder, back in its own without one, and reports a missing folder', async () => {
    const inDir = await run(['/bin/pwd'], { cwd: dir });
    const missing = await run(['/bin/pwd'], { cwd: path.join(dir, 'missing') });
    const none = await run(['/bin/pwd']);
    expect(inDir.stdoutText).toBe(`${dir}\n`);
    expect(missing).toMatchObject({ exitCode: null, errnoCode: 'ENOENT' });
    expect(none.stdoutText).toBe(`${process.cwd()}\n`);
  });

  it('starts commands with no signal blocked or ignored, in a session of their own', async () => {
    const o = await run(['/bin/sh', '-c', 'grep -E "^Sig(Blk|Ign)" /proc/$$/status; ps -o sid= -p $$']);
    const [blk, ign, sid] = o.stdoutText.trim().split('\n');
    expect(blk).toMatch(/^SigBlk:\s+0+$/);
    expect(ign).toMatch(/^SigIgn:\s+0+$/);
    let pid = 0;
    await run(['/bin/true'], { onPid: (p) => (pid = p) });
    expect(pid).toBeGreaterThan(0);
    expect(Number(sid)).not.toBe(process.pid);
  });

  it('closes and lets a process with nothing else to do exit cleanly', async () => {
    // A child node: with the helper unreferenced, close() must still settle (exit code 0, not 13).
    const script = [
      `import { SpawnHelper } from ${JSON.stringify(path.join(import.meta.dirname, 'spawn-helper.ts'))};`,
      'const h = await SpawnHelper.start();',
      "const o = await h.run({ file: '/bin/echo', args: ['ran'], env: {}, maxOutputBytes: 100, onPid: () => {} });",
      'process.stdout.write(o.stdout);',
      'await h.close();',
      "process.stdout.write('closed\\n');",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, out }).toEqual({ code: 0, out: 'ran\nclosed\n' });
  });
});
