import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintMetrics } from '../../src/exposition/lint.js';

/**
 * Differential test of lintMetrics against `promtool check metrics` from Debian's `prometheus`
 * package: for every body, the (metric, rule) findings promtool reports must be exactly the ones
 * we report for the rules promtool knows, and a body promtool cannot parse must give us an error.
 * Our extra rules (upper-case label names, text-format structure) are left out of the comparison.
 */

const PROMTOOL = '/usr/bin/promtool';

/** promtool's messages → our rule ids. */
const RULES: readonly [RegExp, string][] = [
  [/^no help text$/, 'help'],
  [/^counter metrics should have "_total" suffix$/, 'counter-total'],
  [/^non-counter metrics should not have "_total" suffix$/, 'total-not-counter'],
  [/should not have "_(count|sum|bucket)" suffix$/, 'reserved-suffix'],
  [/should not have "(le|quantile)" label$/, 'reserved-label'],
  [/^use base unit /, 'base-unit'],
  [/^metric names should not contain abbreviated units$/, 'unit-abbreviation'],
  [/^metric name should not include type /, 'type-in-name'],
  [/^metric names should not contain ':'$/, 'colon'],
  [/^metric names should be written in 'snake_case' not 'camelCase'$/, 'camel-case'],
];
const COMPARED = new Set(RULES.map(([, r]) => r));

const family = (name: string, type: string, lines: string[], help = true): string =>
  `${help ? `# HELP ${name} Something.\n` : ''}# TYPE ${name} ${type}\n${lines.join('\n')}\n`;

const CASES: readonly { name: string; body: string }[] = [
  {
    name: 'clean counter',
    body: family('http_requests_total', 'counter', ['http_requests_total{code="200"} 1']),
  },
  {
    name: 'clean histogram',
    body: family('rpc_duration_seconds', 'histogram', [
      'rpc_duration_seconds_bucket{le="1"} 1',
      'rpc_duration_seconds_bucket{le="+Inf"} 1',
      'rpc_duration_seconds_sum 0.5',
      'rpc_duration_seconds_count 1',
    ]),
  },
  {
    name: 'clean summary',
    body: family('gc_seconds', 'summary', [
      'gc_seconds{quantile="0.5"} 1',
      'gc_seconds_sum 1',
      'gc_seconds_count 1',
    ]),
  },
  { name: 'no help', body: family('temperature_celsius', 'gauge', ['temperature_celsius 20'], false) },
  { name: 'counter without _total', body: family('requests', 'counter', ['requests 1']) },
  { name: 'gauge with _total', body: family('g_total', 'gauge', ['g_total 1']) },
  { name: 'gauge with _count', body: family('x_count', 'gauge', ['x_count 1']) },
  { name: 'gauge with _bucket', body: family('x_bucket', 'gauge', ['x_bucket 1']) },
  { name: 'milliseconds', body: family('latency_milliseconds', 'gauge', ['latency_milliseconds 1']) },
  { name: 'hours', body: family('uptime_hours', 'gauge', ['uptime_hours 1']) },
  { name: 'kilobytes', body: family('size_kilobytes', 'gauge', ['size_kilobytes 1']) },
  { name: 'abbreviation', body: family('lat_ms', 'gauge', ['lat_ms 1']) },
  { name: 'type in name', body: family('foo_counter', 'gauge', ['foo_counter 1']) },
  { name: 'le on a gauge', body: family('foo', 'gauge', ['foo{le="1"} 1']) },
  { name: 'quantile on a gauge', body: family('foo', 'gauge', ['foo{quantile="1"} 1']) },
  { name: 'colon', body: family('job:x:rate5m', 'gauge', ['job:x:rate5m 1']) },
  { name: 'camelCase', body: family('httpRequests', 'gauge', ['httpRequests 1']) },
  { name: 'untyped without metadata', body: 'some_value 1\n' },
  { name: 'CRLF', body: 'a 1\r\n' },
  { name: 'bad value', body: 'a x\n' },
];

function promtool(body: string): { findings: Set<string>; failed: boolean; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  const findings = new Set<string>();
  for (const line of output.split('\n')) {
    const m = /^(\S+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const rule = RULES.find(([re]) => re.test(m[2]!))?.[1];
    if (rule) findings.add(`${m[1]} ${rule}`);
  }
  return { findings, failed: /error while linting|parsing error/.test(output), output };
}

describe('lintMetrics agrees with promtool check metrics', () => {
  it.runIf(existsSync(PROMTOOL))('on every case', () => {
    const disagreements: string[] = [];
    let compared = 0;
    for (const c of CASES) {
      const theirs = promtool(c.body);
      compared += theirs.findings.size;
      const problems = lintMetrics(c.body, 'text/plain; version=0.0.4');
      const ours = new Set(
        problems.filter((p) => COMPARED.has(p.rule) && p.metric).map((p) => `${p.metric} ${p.rule}`),
      );
      const oursFailed = problems.some((p) => p.severity === 'error');
      const same =
        theirs.failed === oursFailed &&
        (theirs.failed ||
          (theirs.findings.size === ours.size && [...ours].every((x) => theirs.findings.has(x))));
      if (!same) {
        disagreements.push(
          `${c.name}: promtool ${theirs.failed ? 'failed' : JSON.stringify([...theirs.findings])}, kanshi ${oursFailed ? 'failed' : JSON.stringify([...ours])}`,
        );
      }
    }
    process.stdout.write(
      `promtool agreement: ${CASES.length - disagreements.length}/${CASES.length} bodies, ${compared} findings\n`,
    );
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(10);
  });

  it('finds promtool', () => {
    expect(existsSync(PROMTOOL), `${PROMTOOL} missing: apt-get install prometheus`).toBe(true);
  });
});
