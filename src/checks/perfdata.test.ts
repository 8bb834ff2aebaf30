import { describe, expect, it } from 'vitest';
import type { PerfDatum } from '../model/check.js';
import { formatPerfdata, parsePerfdata, unitInfo } from './perfdata.js';

/** A compact view of a datum for table rows: ranges by their text. */
function view(p: PerfDatum): Record<string, unknown> {
  const out: Record<string, unknown> = {
    label: p.label,
    value: p.value,
    unit: p.unit,
    baseValue: p.baseValue,
    baseUnit: p.baseUnit,
  };
  if (p.warn) out.warn = p.warn.text;
  if (p.crit) out.crit = p.crit.text;
  if (p.min !== undefined) out.min = p.min;
  if (p.max !== undefined) out.max = p.max;
  return out;
}

describe('parsePerfdata', () => {
  const rows: { name: string; text: string; want: Record<string, unknown>[]; problems?: string[] }[] = [
    {
      name: 'a bare value',
      text: 'users=5',
      want: [{ label: 'users', value: 5, unit: '', baseValue: 5, baseUnit: '' }],
    },
    {
      name: "check_load's three items with thresholds and a trailing space",
      text: 'load1=1.970;5.000;10.000;0; load5=0.870;4.000;8.000;0; load15=0.360;3.000;6.000;0; ',
      want: [
        {
          label: 'load1',
          value: 1.97,
          unit: '',
          baseValue: 1.97,
          baseUnit: '',
          warn: '5.000',
          crit: '10.000',
          min: 0,
        },
        {
          label: 'load5',
          value: 0.87,
          unit: '',
          baseValue: 0.87,
          baseUnit: '',
          warn: '4.000',
          crit: '8.000',
          min: 0,
        },
        {
          label: 'load15',
          value: 0.36,
          unit: '',
          baseValue: 0.36,
          baseUnit: '',
          warn: '3.000',
          crit: '6.000',
          min: 0,
        },
      ],
    },
    {
      name: "check_disk's bytes with every field",
      text: '/=24117248000B;243497277849;257024904396;0;270552530944',
      want: [
        {
          label: '/',
          value: 24117248000,
          unit: 'B',
          baseValue: 24117248000,
          baseUnit: 'bytes',
          warn: '243497277849',
          crit: '257024904396',
          min: 0,
          max: 270552530944,
        },
      ],
    },
    {
      name: "check_http's seconds and bytes with empty fields",
      text: 'time=0.000532s;;;0.000000;10.000000 size=151B;;;0',
      want: [
        {
          label: 'time',
          value: 0.000532,
          unit: 's',
          baseValue: 0.000532,
          baseUnit: 'seconds',
          min: 0,
          max: 10,
        },
        { label: 'size', value: 151, unit: 'B', baseValue: 151, baseUnit: 'bytes', min: 0 },
      ],
    },
    {
      name: 'milliseconds and microseconds',
      text: 'rta=0.80ms;200.000;500.000;0; jitter=250us',
      want: [
        {
          label: 'rta',
          value: 0.8,
          unit: 'ms',
          baseValue: 0.0008,
          baseUnit: 'seconds',
          warn: '200.000',
          crit: '500.000',
          min: 0,
        },
        { label: 'jitter', value: 250, unit: 'us', baseValue: 0.00025, baseUnit: 'seconds' },
      ],
    },
    {
      name: 'percent, a counter, and byte multiples in 1024s',
      text: "pl=0%;20;60 'in octets'=12345c swap=2MB kb=3KB g=1.5GB t=1TB lower=2kB",
      want: [
        { label: 'pl', value: 0, unit: '%', baseValue: 0, baseUnit: 'percent', warn: '20', crit: '60' },
        { label: 'in octets', value: 12345, unit: 'c', baseValue: 12345, baseUnit: 'counter' },
        { label: 'swap', value: 2, unit: 'MB', baseValue: 2 * 1024 * 1024, baseUnit: 'bytes' },
        { label: 'kb', value: 3, unit: 'KB', baseValue: 3072, baseUnit: 'bytes' },
        { label: 'g', value: 1.5, unit: 'GB', baseValue: 1.5 * 1024 ** 3, baseUnit: 'bytes' },
        { label: 't', value: 1, unit: 'TB', baseValue: 1024 ** 4, baseUnit: 'bytes' },
        { label: 'lower', value: 2, unit: 'kB', baseValue: 2048, baseUnit: 'bytes' },
      ],
    },
    {
      name: "quoted labels with spaces, '=' and '' escapes",
      text: "'used space'=5 'a=b'=1 'it''s'=2 'C:\\ Label: x  Serial Number ab12'=3",
      want: [
        { label: 'used space', value: 5, unit: '', baseValue: 5, baseUnit: '' },
        { label: 'a=b', value: 1, unit: '', baseValue: 1, baseUnit: '' },
        { label: "it's", value: 2, unit: '', baseValue: 2, baseUnit: '' },
        { label: 'C:\\ Label: x  Serial Number ab12', value: 3, unit: '', baseValue: 3, baseUnit: '' },
      ],
    },
    {
      name: 'the unknown value U',
      text: 'temp=U;50;80',
      want: [{ label: 'temp', value: NaN, unit: '', baseValue: NaN, baseUnit: '', warn: '50', crit: '80' }],
    },
    {
      name: 'negative, signed and exponent values with range thresholds',
      text: 'offset=-0.25s;-1:1;@-5:-2 big=+1e3 tiny=.5;~:10;10:',
      want: [
        {
          label: 'offset',
          value: -0.25,
          unit: 's',
          baseValue: -0.25,
          baseUnit: 'seconds',
          warn: '-1:1',
          crit: '@-5:-2',
        },
        { label: 'big', value: 1000, unit: '', baseValue: 1000, baseUnit: '' },
        { label: 'tiny', value: 0.5, unit: '', baseValue: 0.5, baseUnit: '', warn: '~:10', crit: '10:' },
      ],
    },
    {
      name: 'trailing empty fields and thresholds that repeat the unit',
      text: 'a=1;;;; b=80%;90%;95%;0%;100%',
      want: [
        { label: 'a', value: 1, unit: '', baseValue: 1, baseUnit: '' },
        {
          label: 'b',
          value: 80,
          unit: '%',
          baseValue: 80,
          baseUnit: 'percent',
          warn: '90',
          crit: '95',
          min: 0,
          max: 100,
        },
      ],
    },
    {
      name: 'tabs and several spaces between items',
      text: '  a=1\t\tb=2   ',
      want: [
        { label: 'a', value: 1, unit: '', baseValue: 1, baseUnit: '' },
        { label: 'b', value: 2, unit: '', baseValue: 2, baseUnit: '' },
      ],
    },
    {
      name: 'an empty string',
      text: '',
      want: [],
    },
    {
      name: 'garbage between good items is skipped',
      text: 'a=1 garbage b=x c=1,5 =4 d=2',
      want: [
        { label: 'a', value: 1, unit: '', baseValue: 1, baseUnit: '' },
        { label: 'd', value: 2, unit: '', baseValue: 2, baseUnit: '' },
      ],
      problems: [
        'missing "=" in "garbage"',
        'bad value "x" in "b=x"',
        'bad value "1,5" in "c=1,5" (a decimal comma: print numbers in the C locale)',
        'empty label in "=4"',
      ],
    },
    {
      name: 'bad thresholds and min/max keep the item',
      text: 'a=5;abc;20:10;zero;1',
      want: [{ label: 'a', value: 5, unit: '', baseValue: 5, baseUnit: '', max: 1 }],
      problems: [
        'bad warning threshold in "a=5;abc;20:10;zero;1": invalid threshold range "abc": "abc" is not a number',
        'bad critical threshold in "a=5;abc;20:10;zero;1": invalid threshold range "20:10": start 20 is greater than end 10',
        'bad min "zero" in "a=5;abc;20:10;zero;1"',
      ],
    },
    {
      name: 'an unknown unit keeps the value as printed',
      text: 'rate=3pkt/s',
      want: [{ label: 'rate', value: 3, unit: 'pkt/s', baseValue: 3, baseUnit: '' }],
      problems: ['unknown unit "pkt/s" in "rate=3pkt/s": value kept as printed'],
    },
    {
      name: 'a duplicate label keeps the first',
      text: 'a=1 a=2',
      want: [{ label: 'a', value: 1, unit: '', baseValue: 1, baseUnit: '' }],
      problems: ['duplicate label "a" in "a=2": kept the first'],
    },
    {
      name: 'extra fields after max are ignored',
      text: 'a=1;2;3;0;10;11',
      want: [
        { label: 'a', value: 1, unit: '', baseValue: 1, baseUnit: '', warn: '2', crit: '3', min: 0, max: 10 },
      ],
      problems: ['extra fields after max in "a=1;2;3;0;10;11": ignored'],
    },
    {
      name: 'an unterminated quote ends parsing',
      text: "a=1 'broken=2",
      want: [{ label: 'a', value: 1, unit: '', baseValue: 1, baseUnit: '' }],
      problems: ['unterminated quoted label in "\'broken=2"'],
    },
    {
      name: 'a quoted label not followed by =',
      text: "'x' y=1",
      want: [{ label: 'y', value: 1, unit: '', baseValue: 1, baseUnit: '' }],
      problems: ['missing "=" after label in "\'x\'"'],
    },
  ];

  for (const row of rows) {
    it(`parses ${row.name}`, () => {
      const got = parsePerfdata(row.text);
      expect(got.perfdata.map(view)).toEqual(row.want);
      expect(got.problems).toEqual(row.problems ?? []);
    });
  }

  it('divides for sub-second units so base values are exact', () => {
    const got = parsePerfdata('a=0.3ms b=7us c=0.1ns d=0.3s').perfdata.map((p) => p.baseValue);
    expect(got).toEqual([0.0003, 0.000007, 1e-10, 0.3]);
  });

  it('keeps the threshold bounds as numbers', () => {
    const [p] = parsePerfdata('x=1;10:20;@~:5').perfdata;
    expect(p?.warn).toEqual({ start: 10, end: 20, isInside: false, text: '10:20' });
    expect(p?.crit).toEqual({ start: -Infinity, end: 5, isInside: true, text: '@~:5' });
  });
});

describe('unitInfo', () => {
  const rows: [string, string, number, boolean][] = [
    ['', '', 1, true],
    ['s', 'seconds', 1, true],
    ['ms', 'seconds', 0.001, true],
    ['us', 'seconds', 0.000001, true],
    ['%', 'percent', 1, true],
    ['B', 'bytes', 1, true],
    ['KB', 'bytes', 1024, true],
    ['MiB', 'bytes', 1048576, true],
    ['c', 'counter', 1, true],
    ['widgets', '', 1, false],
  ];
  for (const [unit, baseUnit, factor, isKnown] of rows) {
    it(`maps "${unit}" to ${baseUnit || 'no base unit'} × ${factor}`, () => {
      expect(unitInfo(unit)).toEqual({ baseUnit, factor, isKnown });
    });
  }
});

describe('formatPerfdata', () => {
  it('round-trips what it parses', () => {
    const text = "'used space'=5MB;80;90;0;100 'it''s'=U load1=0.5;~:1;@2:3";
    expect(formatPerfdata(parsePerfdata(text).perfdata)).toBe(text);
  });
});
