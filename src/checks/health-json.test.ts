import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateHealthBody, healthStatus } from './health-json.js';

const testdata = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./testdata/${name}`, import.meta.url)), 'utf8');

describe('healthStatus', () => {
  it.each([
    ['pass', 'OK'],
    ['ok', 'OK'],
    ['UP', 'OK'],
    ['warn', 'WARNING'],
    ['fail', 'CRITICAL'],
    ['error', 'CRITICAL'],
    ['DOWN', 'CRITICAL'],
    ['OUT_OF_SERVICE', 'CRITICAL'],
    ['UNKNOWN', 'UNKNOWN'],
    ['sideways', undefined],
  ])('maps %s to %s', (word, status) => {
    expect(healthStatus(word)).toBe(status);
  });
});

describe('evaluateHealthBody', () => {
  it.each([
    // [case, body, status, message]
    ['plain ok', 'ok\n', 'OK', 'health ok'],
    ['plain OK.', 'OK.', 'OK', 'health OK.'],
    ['other text', 'Service Unavailable', undefined, ''],
    ['empty body', '', undefined, ''],
    ['broken JSON', '{"status": ', undefined, ''],
    ['pass without checks', '{"status":"pass"}', 'OK', 'health pass'],
    [
      'top-level warn with output',
      '{"status":"warn","output":"disk 91%"}',
      'WARNING',
      'health warn (disk 91%)',
    ],
    ['unknown word', '{"status":"sideways"}', 'UNKNOWN', 'unknown health status "sideways"'],
    [
      'no status, failing sub-check',
      '{"checks":{"db":[{"status":"fail"}]}}',
      'CRITICAL',
      'health: db (fail)',
    ],
    ['no verdict at all', '{"version":"1"}', undefined, ''],
  ])('reads %s', (_, body, status, message) => {
    const r = evaluateHealthBody(body);
    expect(r.status).toBe(status);
    expect(r.message).toBe(message);
  });

  it('lists the failing sub-checks of an inadarei health document', () => {
    const r = evaluateHealthBody(testdata('probe-health-inadarei.json'));
    expect(r).toEqual({
      status: 'CRITICAL',
      format: 'json',
      rawStatus: 'fail',
      failing: [
        { name: 'cassandra:responseTime', status: 'warn', output: 'slow: 250 ms' },
        { name: 'db:connections', status: 'fail', output: 'connection refused' },
      ],
      message:
        'health fail: cassandra:responseTime (warn: slow: 250 ms), db:connections (fail: connection refused)',
    });
  });

  it('reads Spring Boot components', () => {
    const r = evaluateHealthBody(
      '{"status":"DOWN","components":{"db":{"status":"DOWN","details":{}},"ping":{"status":"UP"}}}',
    );
    expect(r.status).toBe('CRITICAL');
    expect(r.message).toBe('health DOWN: db (DOWN)');
  });

  it('reads Terminus and lists a failure once', () => {
    const r = evaluateHealthBody(
      JSON.stringify({
        status: 'error',
        info: { redis: { status: 'up' } },
        error: { db: { status: 'down', message: 'timeout' } },
        details: { redis: { status: 'up' }, db: { status: 'down', message: 'timeout' } },
      }),
    );
    expect(r.status).toBe('CRITICAL');
    expect(r.message).toBe('health error: db (down: timeout)');
  });

  it('trusts the top-level status over passing-but-warned sub-checks', () => {
    const r = evaluateHealthBody('{"status":"pass","checks":{"cache":[{"status":"warn"}]}}');
    expect(r.status).toBe('OK');
    expect(r.message).toBe('health pass: cache (warn)');
  });
});
