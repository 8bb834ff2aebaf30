import { describe, expect, it } from 'vitest';
import { nullLogger, RecordingLogger } from '../../base/logger.js';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { Scheduler, startOffsetMs, type ScheduledJob } from './scheduler.js';

function job(key: string, intervalMs: number, log: string[], delays?: number[]): ScheduledJob {
  let n = 0;
  return {
    key,
    intervalMs,
    run: () => {
      log.push(key);
      n++;
      return Promise.resolve();
    },
    nextDelayMs: () => delays?.[n - 1] ?? intervalMs,
  };
}

describe('Scheduler', () => {
  it('starts each job within one interval and then runs it every interval', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const ac = new AbortController();
    const done = new Scheduler([job('a', 10_000, log), job('b', 60_000, log)], {
      clock,
      logger: nullLogger,
    }).run(ac.signal);
    await clock.advance(60_000);
    expect(log.filter((k) => k === 'a')).toHaveLength(6);
    expect(log.filter((k) => k === 'b')).toHaveLength(1);
    ac.abort();
    await done;
  });

  it('asks the job for its next delay after every run (a soft check retries sooner)', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const ac = new AbortController();
    const done = new Scheduler([job('c', 60_000, log, [1000, 1000, 60_000])], {
      clock,
      logger: nullLogger,
    }).run(ac.signal);
    await clock.advance(60_000 + 2000);
    expect(log).toHaveLength(3);
    ac.abort();
    await done;
  });

  it('logs a job that throws and keeps running it', async () => {
    const clock = new FakeClock(0);
    const logger = new RecordingLogger();
    let runs = 0;
    const ac = new AbortController();
    const bad: ScheduledJob = {
      key: 'bad',
      intervalMs: 1000,
      run: () => {
        runs++;
        return Promise.reject(new Error('boom'));
      },
      nextDelayMs: () => 1000,
    };
    const done = new Scheduler([bad], { clock, logger }).run(ac.signal);
    await clock.advance(3000);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(logger.records[0]).toMatchObject({ level: 'error', fields: { job: 'bad', err: 'boom' } });
    ac.abort();
    await done;
  });

  it('spreads start offsets stably inside the interval', () => {
    const a = startOffsetMs('check/disk', 60_000, 0);
    expect(a).toBe(startOffsetMs('check/disk', 60_000, 0));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(60_000);
    expect(startOffsetMs('check/load', 60_000, 0)).not.toBe(a);
  });
});
