import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePluginOutput } from './plugin-output.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

describe('parsePluginOutput', () => {
  const rows: { name: string; stdout: string; message: string; longOutput: string; labels: string[] }[] = [
    { name: 'empty output', stdout: '', message: '', longOutput: '', labels: [] },
    {
      name: 'a message alone',
      stdout: 'OK: all good\n',
      message: 'OK: all good',
      longOutput: '',
      labels: [],
    },
    {
      name: 'a message with perfdata',
      stdout:
        'LOAD OK - total load average: 1.97, 0.87, 0.36|load1=1.970;5.000;10.000;0; load5=0.870;4.000;8.000;0; \n',
      message: 'LOAD OK - total load average: 1.97, 0.87, 0.36',
      longOutput: '',
      labels: ['load1', 'load5'],
    },
    {
      // The guidelines' multi-line example: perfdata on the first line, after the last long-output
      // line, and on the lines after that.
      name: "the guidelines' multi-line form",
      stdout: [
        'DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968',
        '/ 15272 MB (77%);',
        '/boot 68 MB (69%);',
        '/home 69357 MB (27%);',
        '/var/log 819 MB (84%); | /boot=68MB;88;93;0;98',
        '/home=69357MB;253404;253409;0;253414 ',
        '/var/log=818MB;970;975;0;980',
        '',
      ].join('\n'),
      message: 'DISK OK - free space: / 3326 MB (56%);',
      longOutput: '/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%);',
      labels: ['/', '/boot', '/home', '/var/log'],
    },
    {
      name: 'long output without perfdata and CRLF line ends',
      stdout: 'WARNING: two items\r\nitem a: bad\r\nitem b: worse\r\n\r\n',
      message: 'WARNING: two items',
      longOutput: 'item a: bad\nitem b: worse',
      labels: [],
    },
    {
      name: 'perfdata only on a later line',
      stdout: 'OK\nline one\n| x=1\ny=2\n',
      message: 'OK',
      longOutput: 'line one',
      labels: ['x', 'y'],
    },
    {
      name: 'a message that is only perfdata',
      stdout: '|a=1',
      message: '',
      longOutput: '',
      labels: ['a'],
    },
  ];
  for (const row of rows) {
    it(`splits ${row.name}`, () => {
      const got = parsePluginOutput(row.stdout);
      expect(got.message).toBe(row.message);
      expect(got.longOutput).toBe(row.longOutput);
      expect(got.perfdata.map((p) => p.label)).toEqual(row.labels);
      expect(got.problems).toEqual([]);
    });
  }

  it('reports perfdata problems without losing the message', () => {
    const got = parsePluginOutput('CRITICAL - broken | oops a=1\n');
    expect(got.message).toBe('CRITICAL - broken');
    expect(got.perfdata.map((p) => p.label)).toEqual(['a']);
    expect(got.problems).toEqual(['missing "=" in "oops"']);
    expect(got.perfdataText).toBe('oops a=1');
  });

  it('converts MB perfdata of the multi-line form to bytes', () => {
    const got = parsePluginOutput('OK | /=2643MB;5948;5958;0;5968\n');
    expect(got.perfdata[0]).toMatchObject({
      value: 2643,
      unit: 'MB',
      baseValue: 2643 * 1024 * 1024,
      baseUnit: 'bytes',
    });
  });
});

/** The cases of testdata/plugin-outputs.txt: `=== name` headers, each followed by its stdout. */
function readCases(text: string): { name: string; stdout: string }[] {
  const cases: { name: string; stdout: string }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') && cases.length === 0) continue;
    if (line.startsWith('=== ')) cases.push({ name: line.slice(4), stdout: '' });
    else if (cases.length > 0) cases[cases.length - 1]!.stdout += `${line}\n`;
  }
  return cases;
}

describe('parsePluginOutput on real plugin outputs', () => {
  it('matches testdata/plugin-outputs.golden.json', async () => {
    const text = await readFile(path.join(testdata, 'plugin-outputs.txt'), 'utf8');
    const got = readCases(text).map(({ name, stdout }) => {
      const out = parsePluginOutput(stdout);
      return {
        name,
        message: out.message,
        longOutput: out.longOutput,
        perfdata: out.perfdata.map((p) => ({
          label: p.label,
          value: p.value,
          unit: p.unit,
          baseValue: p.baseValue,
          baseUnit: p.baseUnit,
          warn: p.warn?.text ?? null,
          crit: p.crit?.text ?? null,
          min: p.min ?? null,
          max: p.max ?? null,
        })),
        problems: out.problems,
      };
    });
    expect(got.length).toBeGreaterThan(10);
    if (process.env.KANSHI_UPDATE_GOLDEN === '1') {
      await writeFile(path.join(testdata, 'plugin-outputs.golden.json'), `${JSON.stringify(got, null, 2)}\n`);
    }
    const golden: unknown = JSON.parse(
      await readFile(path.join(testdata, 'plugin-outputs.golden.json'), 'utf8'),
    );
    expect(got).toEqual(golden);
  });
});
