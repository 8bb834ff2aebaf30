import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckStatus } from '../model/check.js';
import { CommandCheck, resultFromOutcome } from './command-check.js';
import type { CommandOutcome } from './run-command.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const script = (name: string): string => path.join(testdata, name);
const baseEnv = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const never = new AbortController().signal;

function check(
  command: string | string[],
  extra: Partial<ConstructorParameters<typeof CommandCheck>[0]> = {},
) {
  return new CommandCheck({ name: 't', command, timeoutMs: 10_000, baseEnv, ...extra });
}

describe('CommandCheck', () => {
  const codes: [number, CheckStatus][] = [
    [0, 'OK'],
    [1, 'WARNING'],
    [2, 'CRITICAL'],
    [3, 'UNKNOWN'],
  ];
  for (const [code, status] of codes) {
    it(`maps exit code ${code} to ${status} and keeps the message`, async () => {
      const r = await check([
        script('nagios-plugin.sh'),
        String(code),
        `${status} - it is ${code} | v=${code}s;1;2`,
      ]).run(never);
      expect(r.status).toBe(status);
      expect(r.exitCode).toBe(code);
      expect(r.message).toBe(`${status} - it is ${code}`);
      expect(r.perfdata).toMatchObject([{ label: 'v', value: code, unit: 's', baseUnit: 'seconds' }]);
      expect(r.reason).toBeUndefined();
    });
  }

  it('reads the multi-line form: long output and perfdata from three lines', async () => {
    const r = await check([script('nagios-multiline.sh')]).run(never);
    expect(r.status).toBe('WARNING');
    expect(r.message).toBe('DISK WARNING - free space: / 3326 MB (56%);');
    expect(r.longOutput).toBe('/ 15272 MB (77%);\n/boot 68 MB (69%);\n/var/log 819 MB (84%);');
    expect(r.perfdata.map((p) => [p.label, p.baseValue])).toEqual([
      ['/', 2643 * 1024 * 1024],
      ['/boot', 68 * 1024 * 1024],
      ['/var/log', 818 * 1024 * 1024],
    ]);
  });

  it('says "(no output)" when the plugin prints nothing', async () => {
    const r = await check([script('nagios-plugin.sh'), '0']).run(never);
    expect(r).toMatchObject({ status: 'OK', message: '(no output)', longOutput: '', perfdata: [] });
  });

  it('makes any other exit code UNKNOWN and says why', async () => {
    const r = await check([script('nagios-plugin.sh'), '4', 'weird']).run(never);
    expect(r).toMatchObject({
      status: 'UNKNOWN',
      exitCode: 4,
      message: 'exit code 4 is out of bounds: weird',
      reason: 'exit code 4',
    });
  });

  it('uses stderr to explain a shell command that is not found', async () => {
    const r = await check('no-such-check-command-xyz --flag').run(never);
    expect(r.status).toBe('UNKNOWN');
    expect(r.exitCode).toBe(127);
    expect(r.message).toMatch(/^exit code 127 is out of bounds: .*no-such-check-command-xyz.*not found/);
  });

  it('makes a missing executable UNKNOWN with "command not found"', async () => {
    const r = await check(['/nonexistent/check_nothing', '-w', '1']).run(never);
    expect(r).toMatchObject({
      status: 'UNKNOWN',
      exitCode: null,
      message: 'command not found: /nonexistent/check_nothing',
      reason: 'command not found: /nonexistent/check_nothing',
    });
  });

  it('makes a file that is not executable UNKNOWN with "permission denied"', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kanshi-check-'));
    try {
      const file = path.join(dir, 'check.sh');
      await copyFile(script('nagios-plugin.sh'), file);
      await chmod(file, 0o644);
      const r = await check([file, '0']).run(never);
      expect(r).toMatchObject({ status: 'UNKNOWN', message: `permission denied: ${file}` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('makes death by a signal UNKNOWN with the signal named', async () => {
    const r = await check([script('nagios-self-kill.sh')]).run(never);
    expect(r).toMatchObject({
      status: 'UNKNOWN',
      exitCode: null,
      message: 'check killed by signal SIGSEGV: about to crash',
      reason: 'signal SIGSEGV',
    });
  });

  it('gives CRITICAL by default at the timeout, with the partial output kept', async () => {
    const r = await check([script('nagios-slow.sh')], { timeoutMs: 300 }).run(never);
    expect(r).toMatchObject({
      status: 'CRITICAL',
      message: 'check timed out after 300ms',
      reason: 'timeout',
    });
    expect(r.longOutput).toBe('STARTED');
    expect(r.perfdata.map((p) => p.label)).toEqual(['t']);
  });

  it('gives the configured timeoutStatus at the timeout', async () => {
    const r = await check([script('nagios-slow.sh')], { timeoutMs: 200, timeoutStatus: 'UNKNOWN' }).run(
      never,
    );
    expect(r.status).toBe('UNKNOWN');
  });

  it('resolves UNKNOWN when the signal aborts', async () => {
    const ac = new AbortController();
    const pending = check([script('nagios-slow.sh')], { timeoutMs: 60_000 }).run(ac.signal);
    setTimeout(() => ac.abort(), 100);
    const r = await pending;
    expect(r).toMatchObject({ status: 'UNKNOWN', message: 'check aborted', reason: 'aborted' });
  });

  it('passes env, baseEnv and cwd, and does not inherit anything else', async () => {
    const r = await check([script('nagios-show-env.sh')], {
      env: { GREETING: 'hello' },
      baseEnv: { PATH: baseEnv.PATH, HOME: undefined },
      cwd: '/tmp',
    }).run(never);
    expect(r.message).toBe('OK - greeting=hello home=unset cwd=/tmp');
  });

  it('sets LC_NUMERIC=C unless env overrides it', async () => {
    expect((await check('echo "OK - $LC_NUMERIC"').run(never)).message).toBe('OK - C');
    const r = await check('echo "OK - $LC_NUMERIC"', { env: { LC_NUMERIC: 'POSIX' } }).run(never);
    expect(r.message).toBe('OK - POSIX');
  });

  it('uses the injected clock for startedAtMs', async () => {
    const r = await check([script('nagios-plugin.sh'), '0', 'OK'], { now: () => 1_700_000_000_000 }).run(
      never,
    );
    expect(r.startedAtMs).toBe(1_700_000_000_000);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps stderr and perfdata problems beside the result', async () => {
    const run = await check([script('nagios-plugin.sh'), '1', 'WARN | junk a=1', 'some detail']).execute();
    expect(run.result.status).toBe('WARNING');
    expect(run.result.message).toBe('WARN');
    expect(run.stderr).toBe('some detail\n');
    expect(run.problems).toEqual(['missing "=" in "junk"']);
  });

  it('reports output cut at maxOutputBytes as a problem', async () => {
    const run = await check('printf "OK | a=1 b=2 c=3"', { maxOutputBytes: 8 }).execute();
    expect(run.result.message).toBe('OK');
    expect(run.result.perfdata.map((p) => p.label)).toEqual(['a']);
    expect(run.problems).toEqual(['output cut at 8 bytes']);
  });
});

describe('resultFromOutcome', () => {
  const outcome: CommandOutcome = {
    exitCode: null,
    signal: 'SIGKILL',
    stdout: '',
    stderr: '',
    isTimedOut: true,
    isAborted: false,
    isTruncated: false,
    startedAtMs: 1000,
    durationMs: 30_000,
  };

  it('formats the timeout as a duration', () => {
    const { result } = resultFromOutcome(outcome, { timeoutMs: 30_000, timeoutStatus: 'CRITICAL' });
    expect(result).toMatchObject({
      status: 'CRITICAL',
      message: 'check timed out after 30s',
      reason: 'timeout',
      startedAtMs: 1000,
      durationMs: 30_000,
      exitCode: null,
    });
  });

  it('names a signal without output', () => {
    const { result } = resultFromOutcome(
      { ...outcome, isTimedOut: false, signal: 'SIGTERM' },
      { timeoutMs: 1, timeoutStatus: 'CRITICAL' },
    );
    expect(result.message).toBe('check killed by signal SIGTERM');
  });
});
