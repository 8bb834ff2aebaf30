import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOpenMetrics } from '../../src/exposition/parse-openmetrics.js';

/**
 * The OpenMetrics conformance suite (../shared/testdata/openmetrics/parsers, see its README): every
 * case not named bad_* must parse with the strict parser, every bad_* case must be rejected. Cases
 * listed in testdata/openmetrics-exclusions.json (with a reason) are skipped; keep that list empty.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const suiteDir = path.resolve(
  repoRoot,
  process.env['KANSHI_TESTDATA'] ?? '../shared/testdata',
  'openmetrics/parsers',
);
const exclusions = (
  JSON.parse(
    readFileSync(path.join(import.meta.dirname, 'testdata/openmetrics-exclusions.json'), 'utf8'),
  ) as {
    excluded: Record<string, string>;
  }
).excluded;

interface Case {
  name: string;
  shouldParse: boolean;
  input: Uint8Array;
}

function loadCases(): Case[] {
  return readdirSync(suiteDir)
    .sort()
    .map((name) => {
      const dir = path.join(suiteDir, name);
      const meta = JSON.parse(readFileSync(path.join(dir, 'test.json'), 'utf8')) as {
        file: string;
        shouldParse: boolean;
      };
      return { name, shouldParse: meta.shouldParse, input: readFileSync(path.join(dir, meta.file)) };
    });
}

describe('OpenMetrics conformance suite (strict mode)', () => {
  it('finds the suite', () => {
    expect(existsSync(suiteDir), `missing ${suiteDir}; set KANSHI_TESTDATA`).toBe(true);
  });

  const cases = existsSync(suiteDir) ? loadCases() : [];
  const results = cases.map((c) => {
    const r = parseOpenMetrics(c.input, { strict: true });
    return { ...c, accepted: r.errors.length === 0, errors: r.errors };
  });

  it('has 211 cases, 44 valid and 167 bad_*', () => {
    expect(cases).toHaveLength(211);
    expect(cases.filter((c) => c.shouldParse)).toHaveLength(44);
    expect(cases.every((c) => c.shouldParse === !c.name.startsWith('bad_'))).toBe(true);
  });

  it('agrees with every expectation except the listed exclusions', () => {
    const wrong = results.filter((r) => r.accepted !== r.shouldParse && !(r.name in exclusions));
    const passed = results.filter((r) => r.accepted === r.shouldParse).length;
    // Printed so CI logs show the tally.
    process.stdout.write(
      `openmetrics conformance: ${passed}/${results.length} agree, ${Object.keys(exclusions).length} excluded\n`,
    );
    expect(
      wrong.map((r) => `${r.name}: ${r.shouldParse ? `rejected: ${r.errors[0]?.message}` : 'accepted'}`),
    ).toEqual([]);
  });

  it('lists only exclusions that exist and still fail', () => {
    for (const [name, reason] of Object.entries(exclusions)) {
      const r = results.find((x) => x.name === name);
      expect(r, `excluded case ${name} does not exist`).toBeDefined();
      expect(reason).not.toBe('');
      expect(r!.accepted, `excluded case ${name} passes now; remove it`).not.toBe(r!.shouldParse);
    }
  });

  it('turns every sample line of a valid case into one sample', () => {
    const wrong: string[] = [];
    for (const c of cases.filter((x) => x.shouldParse)) {
      const text = new TextDecoder().decode(c.input);
      const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      const samples = parseOpenMetrics(c.input, { strict: true }).families.reduce(
        (n, f) => n + f.samples.length,
        0,
      );
      if (samples !== lines) wrong.push(`${c.name}: ${samples} samples for ${lines} lines`);
    }
    expect(wrong).toEqual([]);
  });

  it('decodes the escaping case as the specification says', () => {
    const c = cases.find((x) => x.name === 'escaping');
    expect(c).toBeDefined();
    const r = parseOpenMetrics(c!.input, { strict: true });
    const fam = r.families.find((f) => f.name === 'a')!;
    expect(fam.help).toBe('he\n\\l\\tp');
    expect(fam.samples.map((s) => s.labels.find((l) => l.name === 'foo')?.value)).toEqual([
      'b"a\nr',
      'b\\a\\z',
      'b"a\nr # ',
      'b\\a\\z # ',
    ]);
  });

  // Lenient mode (Prometheus's scraper) skips the semantic rules but not the syntax: it must
  // reject every bad case whose fault is syntactic.
  const semantic =
    /^bad_(clashing_names|counter_values|exemplar_complex_chars|exemplars_6|exemplars_on_unallowed|grouping_or_ordering|histograms|info_and_stateset|metadata_in_wrong_place|missing_or_invalid_labels_for_a_type|repeated_metadata_[013]|stateset_info_values|unit_[67])/;
  it('lenient mode rejects every syntactically bad case and accepts every valid one', () => {
    const wrong = cases
      .filter((c) => c.shouldParse || !semantic.test(c.name))
      .filter((c) => (parseOpenMetrics(c.input).errors.length === 0) !== c.shouldParse)
      .map((c) => c.name);
    expect(wrong).toEqual([]);
    expect(cases.filter((c) => !c.shouldParse && !semantic.test(c.name)).length).toBeGreaterThan(80);
  });
});
