import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../base/logger.js';
import type { CheckResult, CheckStatus } from '../model/check.js';
import { CheckState } from './check-state.js';

const baseEnv = { PATH: '/usr/local/bin:/usr/bin:/bin' };

function result(status: CheckStatus, message = `${status} message`): CheckResult {
  return { status, message, longOutput: '', perfdata: [], startedAtMs: 0, durationMs: 1, exitCode: 0 };
}

type Step = [CheckStatus, string, CheckStatus, number, boolean, number];
// [result, stateType, hardStatus, attempt, isHardChange, nextDelayMs] after each result.
const S: Record<string, string> = { s: 'SOFT', h: 'HARD' };

describe('CheckState', () => {
  const scenarios: { name: string; max: number; steps: Step[] }[] = [
    {
      name: 'a problem confirmed at the third attempt, then a hard recovery',
      max: 3,
      steps: [
        ['OK', 'h', 'OK', 1, false, 60_000],
        ['CRITICAL', 's', 'OK', 1, false, 10_000],
        ['CRITICAL', 's', 'OK', 2, false, 10_000],
        ['CRITICAL', 'h', 'CRITICAL', 3, true, 60_000],
        ['CRITICAL', 'h', 'CRITICAL', 3, false, 60_000],
        ['OK', 'h', 'OK', 1, true, 60_000],
      ],
    },
    {
      name: 'a soft recovery keeps the hard status OK',
      max: 3,
      steps: [
        ['WARNING', 's', 'OK', 1, false, 10_000],
        ['OK', 'h', 'OK', 1, false, 60_000],
        ['WARNING', 's', 'OK', 1, false, 10_000],
      ],
    },
    {
      name: 'changing between problems while soft keeps counting',
      max: 3,
      steps: [
        ['WARNING', 's', 'OK', 1, false, 10_000],
        ['CRITICAL', 's', 'OK', 2, false, 10_000],
        ['UNKNOWN', 'h', 'UNKNOWN', 3, true, 60_000],
      ],
    },
    {
      name: 'a different problem while hard is a hard change at once',
      max: 2,
      steps: [
        ['WARNING', 's', 'OK', 1, false, 10_000],
        ['WARNING', 'h', 'WARNING', 2, true, 60_000],
        ['CRITICAL', 'h', 'CRITICAL', 2, true, 60_000],
        ['WARNING', 'h', 'WARNING', 2, true, 60_000],
      ],
    },
    {
      name: 'maxCheckAttempts 1 makes every problem hard at once',
      max: 1,
      steps: [
        ['CRITICAL', 'h', 'CRITICAL', 1, true, 60_000],
        ['CRITICAL', 'h', 'CRITICAL', 1, false, 60_000],
        ['OK', 'h', 'OK', 1, true, 60_000],
      ],
    },
  ];

  for (const sc of scenarios) {
    it(`follows Nagios: ${sc.name}`, () => {
      const state = new CheckState({
        name: 'c',
        intervalMs: 60_000,
        retryIntervalMs: 10_000,
        maxCheckAttempts: sc.max,
      });
      expect([state.status, state.hardStatus, state.stateType, state.attempt]).toEqual([
        'OK',
        'OK',
        'HARD',
        1,
      ]);
      sc.steps.forEach(([status, type, hard, attempt, isHardChange, delay], i) => {
        const report = state.record(result(status));
        const got = [
          report.stateType,
          report.hardStatus,
          report.attempt,
          report.isHardChange,
          state.nextDelayMs(),
        ];
        expect(got, `step ${i + 1} (${status})`).toEqual([S[type], hard, attempt, isHardChange, delay]);
        expect([state.stateType, state.hardStatus, state.attempt, state.isHardChange]).toEqual([
          S[type],
          hard,
          attempt,
          isHardChange,
        ]);
      });
    });
  }

  it('uses intervalMs for retries when no retryIntervalMs is given', () => {
    const state = new CheckState({ name: 'c', intervalMs: 5000, maxCheckAttempts: 3 });
    state.record(result('CRITICAL'));
    expect(state.nextDelayMs()).toBe(5000);
  });

  it('carries the previous status, status changes and the Mackerel config values on reports', () => {
    const state = new CheckState({
      name: 'disk',
      intervalMs: 60_000,
      memo: 'call the storage team',
      preventAlertAutoClose: true,
      notificationIntervalMs: 3_600_000,
    });
    const first = state.record(result('OK'));
    expect(first).toMatchObject({
      check: 'disk',
      previousStatus: null,
      isStatusChange: true,
      memo: 'call the storage team',
      preventAlertAutoClose: true,
      notificationIntervalMs: 3_600_000,
      maxCheckAttempts: 1,
    });
    const second = state.record(result('OK'));
    expect(second).toMatchObject({ previousStatus: 'OK', isStatusChange: false });
    const third = state.record(result('WARNING'));
    expect(third).toMatchObject({ previousStatus: 'OK', status: 'WARNING', isStatusChange: true });
  });

  it('leaves optional config values off reports when not configured', () => {
    const report = new CheckState({ name: 'c', intervalMs: 1000 }).record(result('OK'));
    expect('memo' in report).toBe(false);
    expect('notificationIntervalMs' in report).toBe(false);
    expect(report.preventAlertAutoClose).toBe(false);
  });
});

describe('CheckState action', () => {
  async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(tmpdir(), 'kanshi-action-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  // Appends one line per run: the variables the action sees.
  const recorder = (file: string): string =>
    `printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\\n' "$KANSHI_CHECK_NAME" "$KANSHI_STATUS" "$KANSHI_PREVIOUS_STATUS" ` +
    `"$KANSHI_CHECK_MESSAGE" "$MACKEREL_STATUS" "$MACKEREL_PREVIOUS_STATUS" "$MACKEREL_CHECK_MESSAGE" ` +
    `"$KANSHI_STATE_TYPE" "$EXTRA" >> '${file}'`;

  it('runs on every status change with the KANSHI_ and MACKEREL_ variables', async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, 'log');
      const state = new CheckState({
        name: 'web',
        intervalMs: 1000,
        maxCheckAttempts: 2,
        action: { command: recorder(file), baseEnv, env: { EXTRA: 'x' } },
      });
      for (const s of ['OK', 'OK', 'CRITICAL', 'CRITICAL', 'OK'] as const) {
        state.record(result(s, `${s.toLowerCase()} it is`));
        await state.settled(); // keep the lines in order
      }
      await state.close();
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines).toEqual([
        'web|OK||ok it is|OK||ok it is|HARD|x',
        'web|CRITICAL|OK|critical it is|CRITICAL|OK|critical it is|SOFT|x',
        'web|OK|CRITICAL|ok it is|OK|CRITICAL|ok it is|HARD|x',
      ]);
    });
  });

  it('passes the message and long output as the check message', async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, 'log');
      const state = new CheckState({
        name: 'web',
        intervalMs: 1000,
        action: { command: `printf '%s' "$MACKEREL_CHECK_MESSAGE" > '${file}'`, baseEnv },
      });
      state.record({ ...result('CRITICAL', 'CRITICAL - 2 of 3 down'), longOutput: 'a: down\nb: down' });
      await state.close();
      expect(await readFile(file, 'utf8')).toBe('CRITICAL - 2 of 3 down\na: down\nb: down');
    });
  });

  it("runs after every result with runOn 'every', as mackerel-agent does", async () => {
    await withTmp(async (dir) => {
      const file = path.join(dir, 'log');
      const state = new CheckState({
        name: 'web',
        intervalMs: 1000,
        action: { command: recorder(file), baseEnv, runOn: 'every' },
      });
      for (const s of ['OK', 'OK', 'OK'] as const) {
        state.record(result(s));
        await state.settled();
      }
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(3);
    });
  });

  it('logs a failing, missing or hanging action instead of throwing', async () => {
    const logger = new RecordingLogger();
    const statuses: CheckStatus[] = ['WARNING', 'CRITICAL', 'UNKNOWN'];
    const commands = ['echo bad >&2; exit 3', ['/nonexistent/action'], 'sleep 30'];
    const states = commands.map(
      (command, i) =>
        new CheckState({
          name: `c${i}`,
          intervalMs: 1000,
          logger,
          action: { command, baseEnv, timeoutMs: 300 },
        }),
    );
    states.forEach((s, i) => s.record(result(statuses[i]!)));
    await Promise.all(states.map((s) => s.close()));
    const byCheck = Object.fromEntries(logger.records.map((r) => [r.fields.check as string, r]));
    expect(byCheck.c0).toMatchObject({
      level: 'warn',
      message: 'check action failed',
      fields: { exitCode: 3, stderr: 'bad\n' },
    });
    expect(byCheck.c1).toMatchObject({
      level: 'warn',
      message: 'check action could not start',
      fields: { error: 'command not found: /nonexistent/action' },
    });
    expect(byCheck.c2).toMatchObject({ level: 'warn', message: 'check action timed out' });
  });
});
