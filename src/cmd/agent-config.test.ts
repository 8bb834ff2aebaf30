import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from './agent-config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-agent-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(name: string, yaml: string, isolated = false) {
  const file = path.join(dir, name);
  await writeFile(file, yaml);
  return { file, result: await loadAgentConfig(file, dir, { isolated }) };
}

const good =
  'server:\n  data_dir: ./d\n  log_level: warn\nagent:\n  hostname: web-1\n  shipper: { url: "http://10.0.0.1:9800" }\n';
const bad = 'agent:\n  shipper:\n    batch_window: soon\n  colour: blue\n';

describe('loadAgentConfig', () => {
  it.each([
    ['2s', 2_000],
    ['0s', 0],
    ['1m', 60_000],
  ])('reads agent.shipper.batch_window %s as %d ms', async (text, ms) => {
    const { result } = await load(
      'window.yml',
      `agent:\n  shipper:\n    url: http://127.0.0.1:9800\n    batch_window: ${text}\n`,
    );
    expect(result.ok && result.config.agent.shipper?.batch_window).toBe(ms);
  });

  it('keeps the agent section, the data folder, the log level and the config folder', async () => {
    const { result } = await load('good.yml', good);
    expect(result).toMatchObject({
      ok: true,
      config: {
        dataDir: './d',
        logLevel: 'warn',
        baseDir: dir,
        agent: { hostname: 'web-1', shipper: { url: 'http://10.0.0.1:9800', batch_window: 5_000 } },
      },
    });
  });

  it('returns every problem with file, line and key', async () => {
    const { file, result } = await load('bad.yml', bad);
    expect(result.ok).toBe(false);
    const diagnostics = result.ok ? [] : result.diagnostics;
    expect(diagnostics).toContain(
      `${file}:3:19: agent.shipper.batch_window: not a valid duration string: "soon"`,
    );
    expect(diagnostics).toContain(`${file}:4:3: agent.colour: unknown key "colour"`);
  });

  // The long-running agent validates in a child process (here the sources run through tsx, which
  // compiles the schema and PromQL first: slow on a busy machine, hence the long timeout).
  it('answers the same from a child process, for a good and a bad file', { timeout: 120_000 }, async () => {
    for (const [name, yaml] of [
      ['good.yml', good],
      ['bad.yml', bad],
    ] as const) {
      const inProcess = await load(name, yaml);
      const isolated = await load(name, yaml, true);
      expect(isolated.result).toEqual(inProcess.result);
    }
  });
});
