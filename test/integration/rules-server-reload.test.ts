import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, isBuilt, repoRoot } from './tsdb-server.helper.js';

/**
 * The compiled `kanshi server --config kanshi.yml` (built by `npm run test:interop`): rule files
 * are loaded at start, SIGHUP reloads them, a bad file keeps the old rules and is reported on
 * /metrics, and a bad rule file at start stops the start with exit code 1.
 */

const bin = resolve(repoRoot, 'bin/kanshi.js');
const rules = (alert: string): string =>
  `groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: ${alert}\n        expr: vector(1)\n`;

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-rules-reload-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {
      // not ready
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function ruleNames(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
    data: { groups: { rules: { name: string }[] }[] };
  };
  return body.data.groups.flatMap((g) => g.rules.map((r) => r.name));
}

describe.skipIf(!isBuilt())('kanshi server with rule_files', () => {
  it('reloads rule files on SIGHUP and keeps the old rules when a file is bad', async () => {
    const port = await freePort();
    await writeFile(join(dir, 'a.yml'), rules('First'));
    // A glob that matches a.yml and b.yml but not kanshi.yml itself.
    await writeFile(
      join(dir, 'kanshi.yml'),
      `rule_files: ["[ab].yml"]\nserver:\n  listen: 127.0.0.1:${port}\n  data_dir: data\n  watch_config: false\n`,
    );
    const proc = spawn(process.execPath, [bin, 'server', '--config', join(dir, 'kanshi.yml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => (log += d));
    const exited = new Promise((r) => proc.once('exit', r));
    const url = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await ruleNames(url)).includes('First'), `First in ${log}`);

      await writeFile(join(dir, 'b.yml'), rules('Second'));
      proc.kill('SIGHUP');
      await until(async () => (await ruleNames(url)).includes('Second'), 'Second after SIGHUP');
      expect(await ruleNames(url)).toEqual(['First', 'Second']);

      await writeFile(
        join(dir, 'b.yml'),
        'groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: "rate("\n',
      );
      proc.kill('SIGHUP');
      await until(
        async () =>
          /^kanshi_config_last_reload_successful 0$/m.test(await (await fetch(`${url}/metrics`)).text()),
        'the failed reload on /metrics',
      );
      expect(await ruleNames(url)).toEqual(['First', 'Second']);
      expect(log).toMatch(/configuration reload failed/);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('does not start with a bad rule file, naming the file and the problem', async () => {
    await writeFile(
      join(dir, 'bad.yml'),
      'groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: "rate("\n',
    );
    await writeFile(
      join(dir, 'kanshi.yml'),
      'rule_files: ["bad.yml"]\nserver:\n  listen: 127.0.0.1:0\n  data_dir: data\n',
    );
    const proc = spawn(process.execPath, [bin, 'server', '--config', join(dir, 'kanshi.yml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => (log += d));
    const code = await new Promise((r) => proc.once('exit', r));
    expect(code).toBe(1);
    expect(log).toMatch(/bad\.yml.*could not parse expression/);
    expect(log).toMatch(/not starting/);
  });
});
