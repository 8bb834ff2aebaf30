import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../model/check.js';
import type { ExplainedCheck } from './explain.js';
import { breachOf, explainCheck, explainCommand } from './explain.js';
import { parsePerfdata } from './perfdata.js';
import { parsePluginOutput } from './plugin-output.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

const stdout = [
  "DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968 'io wait'=12.5ms;@10:20;~:50 pct=81%;80;90;0;100 temp=U;60;70 users=3 junk",
  '/ 15272 MB (77%);',
  '/boot 68 MB (69%);',
  '',
].join('\n');
const out = parsePluginOutput(stdout);
const result: CheckResult = {
  status: 'WARNING',
  message: out.message,
  longOutput: out.longOutput,
  perfdata: out.perfdata,
  startedAtMs: 1_700_000_000_000,
  durationMs: 123.4,
  exitCode: 1,
};
const opts = {
  command: ['./check_disk', '-w', '10%', '--path', '/my dir'],
  problems: out.problems,
  stderr: 'debug: read /proc/mounts\n',
};

describe('explainCheck', () => {
  it('prints status, output, a perfdata table with breaches, problems and stderr (golden)', async () => {
    const golden = await readFile(path.join(testdata, 'explain.golden.txt'), 'utf8');
    expect(explainCheck(result, opts)).toBe(golden);
  });

  it('prints the same content as stable JSON with --json (golden)', async () => {
    const golden = await readFile(path.join(testdata, 'explain.golden.json'), 'utf8');
    const text = explainCheck(result, { ...opts, isJson: true });
    // Compared as values: the golden file is formatted by prettier, the output by JSON.stringify.
    const parsed = JSON.parse(text) as ExplainedCheck;
    expect(parsed).toEqual(JSON.parse(golden));
    expect(text).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    expect(parsed.perfdata.map((p) => p.breach)).toEqual(['ok', 'WARN', 'WARN', 'unknown', 'none']);
    expect(parsed.perfdata[1]!.crit).toEqual({
      text: '~:50',
      start: null,
      end: 50,
      isInside: false,
      words: 'alerts above 50',
    });
    expect(parsed.perfdata[3]!.value).toBeNull();
  });

  it('colours the status only when asked', () => {
    const plain = explainCheck(result);
    expect(plain).not.toContain('\u001b[');
    const coloured = explainCheck(result, { isColor: true });
    expect(coloured).toContain('\u001b[1;33mWARNING\u001b[0m');
  });

  it('names the reason and says when there is no perfdata', () => {
    const timedOut: CheckResult = {
      status: 'CRITICAL',
      message: 'check timed out after 30s',
      longOutput: '',
      perfdata: [],
      startedAtMs: 0,
      durationMs: 30_000,
      exitCode: null,
      reason: 'timeout',
    };
    expect(explainCheck(timedOut)).toBe(
      [
        'status:    CRITICAL (no exit code; timeout)',
        'duration:  30.000s',
        'message:   check timed out after 30s',
        'perfdata:  (none)',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(explainCheck(timedOut, { isJson: true }));
    expect(json).toMatchObject({
      command: null,
      reason: 'timeout',
      exitCode: null,
      problems: [],
      stderr: '',
    });
  });
});

describe('breachOf', () => {
  const rows: [string, string][] = [
    ['a=5', 'none'],
    ['a=5;10;20', 'ok'],
    ['a=15;10;20', 'WARN'],
    ['a=25;10;20', 'CRIT'],
    ['a=-1;10;20', 'CRIT'],
    ['a=25;10', 'WARN'],
    ['a=5;;@0:10', 'CRIT'],
    ['a=U;10;20', 'unknown'],
  ];
  for (const [text, want] of rows) {
    it(`says ${want} for ${text}`, () => {
      const [p] = parsePerfdata(text).perfdata;
      expect(breachOf(p!)).toBe(want);
    });
  }
});

describe('explainCommand', () => {
  const plugin = path.join(testdata, 'nagios-plugin.sh');
  const baseEnv = { PATH: '/usr/local/bin:/usr/bin:/bin' };

  it('runs the command and returns the explanation with the status as exit code', async () => {
    const { output, exitCode } = await explainCommand(
      [plugin, '2', 'CRITICAL - down | t=2s;1;1.5 junk', 'oops'],
      {
        baseEnv,
      },
    );
    expect(exitCode).toBe(2);
    expect(output).toContain('status:    CRITICAL (exit code 2)');
    expect(output).toContain('message:   CRITICAL - down');
    const row = output.split('\n').find((l) => l.startsWith('  t '));
    expect(row).toMatch(
      /^ {2}t +2 +s +2 seconds +alerts outside 0\.\.1 \(1\) +alerts outside 0\.\.1\.5 \(1\.5\) +CRIT$/,
    );
    expect(output).toContain('  - missing "=" in "junk"');
    expect(output).toContain('stderr:\n  oops');
  });

  it('returns 3 for a command that cannot start, and JSON when asked', async () => {
    const { output, exitCode } = await explainCommand(['/nonexistent/check_x'], { baseEnv, isJson: true });
    expect(exitCode).toBe(3);
    expect(JSON.parse(output)).toMatchObject({
      command: ['/nonexistent/check_x'],
      status: 'UNKNOWN',
      message: 'command not found: /nonexistent/check_x',
    });
  });
});
