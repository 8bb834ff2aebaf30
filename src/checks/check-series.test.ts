import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeText } from '../exposition/write-text.js';
import type { CheckResult } from '../model/check.js';
import { labelsToRecord } from '../model/labels.js';
import { CHECK_FAMILY, checkResultToFamilies } from './check-series.js';
import { parsePluginOutput } from './plugin-output.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

function resultOf(status: CheckResult['status'], stdout: string, durationMs = 250): CheckResult {
  const out = parsePluginOutput(stdout);
  return {
    status,
    message: out.message,
    longOutput: out.longOutput,
    perfdata: out.perfdata,
    startedAtMs: 1_700_000_000_000,
    durationMs,
    exitCode: 0,
  };
}

describe('checkResultToFamilies', () => {
  it('matches the golden exposition for a disk check with thresholds, min, max and an @ range', async () => {
    const result = resultOf(
      'WARNING',
      "DISK WARNING | /=2643MB;5948;5958;0;5968 'io wait'=12.5ms;@10:20;~:50 pct=81%;80;90;0;100 temp=U;60;70 rate=3pkt/s\n",
    );
    const families = checkResultToFamilies('disk', result, {
      labels: { host: 'web-1' },
      hardStatus: 'OK',
      attempt: 2,
    });
    const golden = await readFile(path.join(testdata, 'check-series.golden.prom'), 'utf8');
    expect(writeText(families)).toBe(golden);
  });

  it('writes status, hard status (= status without a state) and duration for a result without perfdata', () => {
    const families = checkResultToFamilies('ping', resultOf('CRITICAL', 'PING CRITICAL\n', 1500));
    expect(families.map((f) => [f.name, f.samples.map((s) => [labelsToRecord(s.labels), s.value])])).toEqual([
      [CHECK_FAMILY.status, [[{ check: 'ping' }, 2]]],
      [CHECK_FAMILY.hardStatus, [[{ check: 'ping' }, 2]]],
      [CHECK_FAMILY.duration, [[{ check: 'ping' }, 1.5]]],
    ]);
    expect(families.every((f) => f.type === 'gauge')).toBe(true);
  });

  it('keeps our check label over a caller label of the same name and sets timestamps when asked', () => {
    const [status] = checkResultToFamilies('real', resultOf('OK', 'OK\n'), {
      labels: { check: 'fake', env: 'prod' },
      timestampMs: 42,
    });
    expect(labelsToRecord(status!.samples[0]!.labels)).toEqual({ check: 'real', env: 'prod' });
    expect(status!.samples[0]!.timestampMs).toBe(42);
  });

  it('writes one series per label when perfdata repeats a label', () => {
    const result: CheckResult = {
      ...resultOf('OK', 'OK | a=1\n'),
      perfdata: [...resultOf('OK', 'OK | a=1\n').perfdata, ...resultOf('OK', 'OK | a=2\n').perfdata],
    };
    const perf = checkResultToFamilies('c', result).find((f) => f.name === CHECK_FAMILY.perfdata);
    expect(perf?.samples.map((s) => s.value)).toEqual([1]);
  });
});
