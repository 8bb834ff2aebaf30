import { describe, expect, it } from 'vitest';

import { matchesCached, parseNumber, splitFields, splitLines } from './text.js';

describe('splitFields', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['a', ['a']],
    ['  a  b\tc ', ['a', 'b', 'c']],
    ['cpu0 1 2', ['cpu0', '1', '2']],
    ['\t\tx\t\ty', ['x', 'y']],
  ])('splits %j', (line, want) => {
    expect(splitFields(line)).toEqual(want);
  });
});

describe('splitLines', () => {
  it.each([
    ['', []],
    ['a', ['a']],
    ['a\n', ['a']],
    ['a\n\nb\n', ['a', 'b']],
  ])('splits %j', (text, want) => {
    expect(splitLines(text)).toEqual(want);
  });
});

describe('parseNumber', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['1.5', 1.5],
    ['18446744073709551615', 2 ** 64],
  ])('parses %s', (text, want) => {
    expect(parseNumber(text, 'x')).toBe(want);
  });

  it.each([[''], ['abc'], [undefined], ['1x']])('rejects %j naming the value', (text) => {
    expect(() => parseNumber(text, 'proc thing')).toThrow(/^proc thing: /);
  });
});

describe('matchesCached', () => {
  it('answers as RegExp.test, also on repeated keys', () => {
    const re = /^Tcp_(InSegs|OutSegs)$/;
    for (const key of ['Tcp_InSegs', 'Tcp_Other', 'Tcp_InSegs', 'Tcp_OutSegs', 'Tcp_Other']) {
      expect(matchesCached(re, key)).toBe(re.test(key));
    }
  });
});
