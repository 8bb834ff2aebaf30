import { describe, expect, it } from 'vitest';
import { runCommand } from './run-command.js';

const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };

describe('runCommand', () => {
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
});
