import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../../src/config/load-yaml.js';
import { notificationsConfig } from '../../src/notify/config.js';

/**
 * Differential test of the `notifications:` schema against Debian's `amtool check-config`
 * (prometheus-alertmanager 0.25): on valid and deliberately broken alertmanager.yml files, Kanshi
 * accepts exactly what Alertmanager accepts.
 */

const AMTOOL = '/usr/bin/amtool';
const TESTDATA = fileURLToPath(new URL('../../src/notify/testdata/', import.meta.url));

const cases: Record<string, string> = {
  'full.yml': readFileSync(path.join(TESTDATA, 'alertmanager-full.yml'), 'utf8').replace(
    "'templates/*.tmpl'",
    `'${path.join(TESTDATA, 'templates')}/*.tmpl'`,
  ),
  'minimal.yml': 'route: { receiver: ops }\nreceivers: [{ name: ops }]\n',
  'no-route.yml': 'receivers: [{ name: ops }]\n',
  'root-no-receiver.yml': 'route: { group_by: [a] }\nreceivers: [{ name: a }]\n',
  'root-matchers.yml': 'route: { receiver: a, matchers: [x="1"] }\nreceivers: [{ name: a }]\n',
  'unknown-receiver.yml': 'route: { receiver: a, routes: [{ receiver: b }] }\nreceivers: [{ name: a }]\n',
  'unknown-interval.yml':
    'route: { receiver: a, routes: [{ mute_time_intervals: [x] }] }\nreceivers: [{ name: a }]\n',
  'dup-receiver.yml': 'route: { receiver: a }\nreceivers: [{ name: a }, { name: a }]\n',
  'group-by-wildcard-and-label.yml': 'route: { receiver: a, group_by: [..., x] }\nreceivers: [{ name: a }]\n',
  'zero-repeat.yml': 'route: { receiver: a, repeat_interval: 0s }\nreceivers: [{ name: a }]\n',
  'bad-matcher.yml': 'route: { receiver: a, routes: [{ matchers: ["x=\\"y"] }] }\nreceivers: [{ name: a }]\n',
  'bad-weekday-range.yml':
    'route: { receiver: a }\nreceivers: [{ name: a }]\ntime_intervals: [{ name: t, time_intervals: [{ weekdays: ["friday:monday"] }] }]\n',
  'legacy-and-new-inhibit.yml':
    'route: { receiver: a }\nreceivers: [{ name: a }]\ninhibit_rules: [{ source_match: { a: "1" }, target_matchers: [b=~"x|y"], equal: [c] }]\n',
};

describe.skipIf(!existsSync(AMTOOL))('notifications config vs amtool check-config', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-amtool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(cases))('%s: same verdict', (name) => {
    const file = path.join(dir, name);
    writeFileSync(file, cases[name]!);
    const r = spawnSync(AMTOOL, ['check-config', file], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    const theirs = r.status === 0;
    const ours = parseYamlConfig(cases[name]!, name, notificationsConfig).config !== undefined;
    expect({ name, ours }).toEqual({ name, ours: theirs });
  });
});
