import { describe, expect, it } from 'vitest';
import { AppError } from '../base/errors.js';
import { describeRange, isAlert, parseRange } from './thresholds.js';

describe('parseRange', () => {
  // Every row of the guidelines' table "Example ranges", plus the forms the notes describe.
  const rows: { text: string; start: number; end: number; isInside: boolean }[] = [
    { text: '10', start: 0, end: 10, isInside: false },
    { text: '10:', start: 10, end: Infinity, isInside: false },
    { text: '~:10', start: -Infinity, end: 10, isInside: false },
    { text: '10:20', start: 10, end: 20, isInside: false },
    { text: '@10:20', start: 10, end: 20, isInside: true },
    { text: '@~:20', start: -Infinity, end: 20, isInside: true },
    { text: '-10:-5', start: -10, end: -5, isInside: false },
    { text: '~:-0.5', start: -Infinity, end: -0.5, isInside: false },
    { text: '1.5:2.25', start: 1.5, end: 2.25, isInside: false },
    { text: '.5', start: 0, end: 0.5, isInside: false },
    { text: '1e3', start: 0, end: 1000, isInside: false },
    { text: ':', start: 0, end: Infinity, isInside: false },
    { text: '~:', start: -Infinity, end: Infinity, isInside: false },
    { text: '@', start: 0, end: Infinity, isInside: true },
    { text: '0', start: 0, end: 0, isInside: false },
    { text: '5:5', start: 5, end: 5, isInside: false },
  ];
  for (const row of rows) {
    it(`parses "${row.text}"`, () => {
      expect(parseRange(row.text)).toEqual(row);
    });
  }

  const bad: { text: string; message: string }[] = [
    { text: '', message: 'empty threshold range' },
    { text: 'abc', message: 'invalid threshold range "abc": "abc" is not a number' },
    { text: '10:abc', message: 'invalid threshold range "10:abc": "abc" is not a number' },
    { text: '20:10', message: 'invalid threshold range "20:10": start 20 is greater than end 10' },
    { text: '-10', message: 'invalid threshold range "-10": start 0 is greater than end -10' },
    { text: '~', message: 'invalid threshold range "~": "~" is not a number' },
    { text: '10:~', message: 'invalid threshold range "10:~": "~" is not a number' },
    { text: '1,5', message: 'invalid threshold range "1,5": "1,5" is not a number' },
    { text: '@@5', message: 'invalid threshold range "@@5": "@5" is not a number' },
  ];
  for (const row of bad) {
    it(`rejects "${row.text}"`, () => {
      let caught: unknown;
      try {
        parseRange(row.text);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('bad_input');
      expect((caught as AppError).message).toBe(row.message);
    });
  }
});

describe('isAlert', () => {
  // The guidelines' "Generate an alert if x..." column, probed at and around each endpoint.
  const rows: { range: string; alerts: number[]; quiet: number[] }[] = [
    { range: '10', alerts: [-1, -0.001, 10.001, 11], quiet: [0, 5, 10] }, // < 0 or > 10
    { range: '10:', alerts: [9.999, 0, -5], quiet: [10, 11, 1e9] }, // < 10
    { range: '~:10', alerts: [10.001, 100], quiet: [10, 0, -1e9] }, // > 10
    { range: '10:20', alerts: [9.99, 20.01, 0], quiet: [10, 15, 20] }, // < 10 or > 20
    { range: '@10:20', alerts: [10, 15, 20], quiet: [9.99, 20.01] }, // ≥ 10 and ≤ 20
    { range: '@~:20', alerts: [-1e9, 20], quiet: [20.5] },
    { range: '~:', alerts: [], quiet: [-1e9, 0, 1e9] },
    { range: '@', alerts: [0, 5], quiet: [-1] },
  ];
  for (const row of rows) {
    const range = parseRange(row.range);
    for (const v of row.alerts) {
      it(`"${row.range}" alerts for ${v}`, () => expect(isAlert(range, v)).toBe(true));
    }
    for (const v of row.quiet) {
      it(`"${row.range}" does not alert for ${v}`, () => expect(isAlert(range, v)).toBe(false));
    }
  }

  it('never alerts for an unknown (NaN) value', () => {
    expect(isAlert(parseRange('10'), NaN)).toBe(false);
    expect(isAlert(parseRange('@~:'), NaN)).toBe(false);
  });
});

describe('describeRange', () => {
  const rows: [string, string][] = [
    ['80', 'alerts outside 0..80'],
    ['10:', 'alerts below 10'],
    ['~:10', 'alerts above 10'],
    ['@10:20', 'alerts inside 10..20'],
    ['@~:5', 'alerts at or below 5'],
    ['@5:', 'alerts at or above 5'],
    ['~:', 'never alerts'],
    ['@~:', 'always alerts'],
  ];
  for (const [text, words] of rows) {
    it(`says "${words}" for "${text}"`, () => expect(describeRange(parseRange(text))).toBe(words));
  }
});
