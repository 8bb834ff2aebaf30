import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand as run, type RunCommandOptions } from './run-command.js';
import { SpawnHelper } from './spawn-helper.js';

const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };

let helper: SpawnHelper | undefined;
beforeAll(async () => {
  helper = await SpawnHelper.start();
  if (!helper) throw new Error('the spawn helper did not start: is /usr/bin/perl installed?');
});
afterAll(async () => {
  await helper?.close();
});

// Every behaviour holds whether Node forks the command itself or the helper does.
describe.each(['spawn', 'helper'] as const)('runCommand (%s)', (mode) => {
  const runCommand = (command: Parameters<typeof run>[0], options: RunCommandOptions) =>
    run(command, { ...options, helper: mode === 'helper' ? helper : undefined });

  it('runs an argv list without a shell and keeps stdout, stderr and the exit code', async () => {
    const r = await runCommand(['/bin/sh', '-c', 'echo out; echo err >&2; exit 2'], {
      timeoutMs: 5000,
      baseEnv: env,
    });
    expect(r).toMatchObject({ exitCode: 2, stdout: 'out\n', stderr: 'err\n', isTimedOut: false });
  });

  it('runs a string with /bin/sh -c and passes env', async () => {
    const r = await runCommand('echo "$GREETING $HOME"', {
      timeoutMs: 5000,
      baseEnv: { ...env, HOME: '/h' },
      env: { GREETING: 'hi' },
    });
    expect(r.stdout).toBe('hi /h\n');
    expect(r.exitCode).toBe(0);
  });

  it('reports a missing command as "command not found" instead of throwing', async () => {
    const r = await runCommand(['/nonexistent/check_nothing', '-w', '1'], { timeoutMs: 5000, baseEnv: env });
    expect(r.exitCode).toBeNull();
    expect(r.spawnError).toBe('command not found: /nonexistent/check_nothing');
  });

  it('kills the whole process group at the timeout', async () => {
    // The grandchild would keep stdout open for 30 s if it survived the kill.
    const r = await runCommand('sleep 30 & sleep 30; echo never', { timeoutMs: 300, baseEnv: env });
    expect(r.isTimedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    expect(r.durationMs).toBeLessThan(20_000);
  });

  it('cuts output at maxOutputBytes and still waits for the exit code', async () => {
    const r = await runCommand('head -c 100000 /dev/zero | tr "\\0" x; exit 1', {
      timeoutMs: 5000,
      baseEnv: env,
      maxOutputBytes: 1000,
    });
    expect(r.stdout.length).toBe(1000);
    expect(r.isTruncated).toBe(true);
    expect(r.exitCode).toBe(1);
  });

  it('stops the command when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runCommand(['sleep', '30'], { timeoutMs: 60_000, baseEnv: env, signal: ac.signal });
    expect(r.isAborted).toBe(true);
    expect(r.signal).toBe('SIGTERM');
  });

  it('runs in cwd and reports death by a signal with no exit code', async () => {
    const r = await runCommand('pwd; kill -TERM $$', { timeoutMs: 5000, baseEnv: env, cwd: '/tmp' });
    expect(r.stdout).toBe('/tmp\n');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(r.spawnError).toBeUndefined();
  });

  it('reports a file that is not executable as "permission denied"', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-run-'));
    const file = path.join(dir, 'not-executable');
    await writeFile(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    try {
      const r = await runCommand([file], { timeoutMs: 5000, baseEnv: env });
      expect(r.exitCode).toBeNull();
      expect(r.spawnError).toBe(`permission denied: ${file}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs concurrent commands and keeps their outputs apart', async () => {
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        runCommand(['/bin/sh', '-c', `printf "%s" "$N"; printf "e$N" >&2; exit $N`], {
          timeoutMs: 5000,
          baseEnv: env,
          env: { N: String(i) },
        }),
      ),
    );
    expect(rs.map((r) => [r.stdout, r.stderr, r.exitCode])).toEqual(
      Array.from({ length: 8 }, (_, i) => [String(i), `e${i}`, i]),
    );
  });

  it('gives the command an empty stdin and no inherited environment', async () => {
    const r = await runCommand('cat; env | sort', {
      timeoutMs: 5000,
      baseEnv: { PATH: env.PATH },
      env: { A: 'b c' },
    });
    expect(r.stdout.split('\n').filter((l) => l !== '' && !/^(PWD|SHLVL|_)=/.test(l))).toEqual([
      'A=b c',
      `PATH=${env.PATH}`,
    ]);
  });
});
