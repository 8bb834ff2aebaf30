import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../base/logger.js';
import { createJsonLogger } from './json-logger.js';

/** The lines pino writes with the options cmd/logger.ts gives it, the time field blanked. */
function pinoLines(level: string, act: (log: Logger) => void): string[] {
  const lines: string[] = [];
  const log = pino(
    { level, base: null, timestamp: pino.stdTimeFunctions.isoTime },
    { write: (s: string) => lines.push(s) },
  );
  act(log);
  return lines.map(blankTime);
}

function ourLines(level: string, act: (log: Logger) => void): string[] {
  const lines: string[] = [];
  act(createJsonLogger({ level, write: (s) => lines.push(s) }));
  return lines.map(blankTime);
}

function blankTime(line: string): string {
  return line.replace(/"time":"[^"]*"/, '"time":"T"');
}

const boom = new Error('boom');

describe('createJsonLogger', () => {
  it.each<[string, string, (log: Logger) => void]>([
    ['a message with fields', 'info', (l) => l.info({ jobs: 3, listen: '127.0.0.1:9801' }, 'agent running')],
    ['no fields', 'info', (l) => l.warn({}, 'spawn helper unavailable')],
    ['nested values and quotes', 'info', (l) => l.error({ a: { b: [1, 'x"y'] }, ok: false }, 'say "hi"\n')],
    ['undefined fields left out', 'info', (l) => l.info({ a: undefined, b: null }, 'm')],
    ['an Error under err', 'info', (l) => l.error({ err: boom }, 'failed')],
    [
      'child bindings before fields',
      'info',
      (l) => l.child({ component: 'agent' }).child({ job: 'host' }).info({ n: 1 }, 'x'),
    ],
    [
      'below the level dropped',
      'warn',
      (l) => [l.debug({}, 'd'), l.info({}, 'i'), l.warn({}, 'w'), l.error({}, 'e')],
    ],
    ['debug written at debug', 'debug', (l) => l.debug({ collector: 'cpu' }, 'collector returned no data')],
    ['silent writes nothing', 'silent', (l) => l.error({}, 'e')],
  ])('writes what pino writes: %s', (_name, level, act) => {
    expect(ourLines(level, act)).toEqual(pinoLines(level, act));
  });

  it('writes the time as an ISO string in UTC', () => {
    const lines: string[] = [];
    const log = createJsonLogger({
      level: 'info',
      write: (s) => lines.push(s),
      now: () => 1_700_000_000_123,
    });
    log.info({}, 'm');
    expect(lines).toEqual(['{"level":30,"time":"2023-11-14T22:13:20.123Z","msg":"m"}\n']);
  });

  it('writes a field it cannot serialize as a marker instead of throwing', () => {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    createJsonLogger({ level: 'info', write: (s) => lines.push(s) }).info({ cyclic, n: 10n }, 'm');
    expect(JSON.parse(lines[0]!)).toMatchObject({ cyclic: '[unserializable]', n: 10, msg: 'm' });
  });

  it('rejects an unknown level naming it', () => {
    expect(() => createJsonLogger({ level: 'verbose' })).toThrow(/unknown log level "verbose"/);
  });
});
