import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['15s', 15_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['1m30s500ms', 90_500],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', 's', '1.5s', '30s1m', '1x', '-1s', ' 1s'])('rejects %j naming the value', (text) => {
    expect(() => parseDuration(text)).toThrow(text === '' ? 'empty' : `"${text}"`);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [15_000, '15s'],
    [5_400_000, '1h30m'],
    [90_500, '1m30s500ms'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
