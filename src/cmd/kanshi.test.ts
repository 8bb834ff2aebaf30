import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './kanshi.js';

/** Runs the CLI in-process and captures what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('kanshi CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the version and help', async () => {
    expect((await run(['--version'])).out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('check [--json] -- CMD');
  });

  it('rejects an unknown command with usage and exit 2', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
  });

  it('kanshi check shows how a check was understood and exits with its code', async () => {
    const r = await run([
      'check',
      '--json',
      '--',
      '/bin/sh',
      '-c',
      'echo "DISK WARNING - 85% used | used=85%;80;90;0;100"; exit 1',
    ]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as {
      status: string;
      message: string;
      perfdata: { label: string; breach: string }[];
    };
    expect(json.status).toBe('WARNING');
    expect(json.message).toBe('DISK WARNING - 85% used');
    expect(json.perfdata[0]).toMatchObject({ label: 'used', breach: 'WARN' });
  });

  it('kanshi check without a command is a usage error', async () => {
    const r = await run(['check']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('name the check command');
  });

  it('kanshi agent --once exits non-zero with every diagnostic of a bad config', async () => {
    const file = path.join(dir, 'kanshi.yml');
    await writeFile(file, 'agent:\n  checks:\n    - name: x\n      interval: soon\n  colour: blue\n');
    const r = await run(['agent', '--once', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:3:7: agent.checks[0].command:`);
    expect(r.err).toContain(`${file}:4:17: agent.checks[0].interval: not a valid duration string: "soon"`);
    expect(r.err).toContain(`${file}:5:3: agent.colour: unknown key "colour"`);
  });

  it('kanshi agent --once prints one collection in the text format, checks included', async () => {
    const file = path.join(dir, 'kanshi.yml');
    await writeFile(
      file,
      [
        'agent:',
        '  hostname: test-host',
        '  host_metrics: { enabled: false }',
        '  checks:',
        '    - name: echo',
        '      command: "echo CRITICAL - down; exit 2"',
      ].join('\n'),
    );
    const r = await run(['agent', '--once', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('kanshi_check_status{check="echo",instance="test-host",job="kanshi"} 2');
  });

  it('kanshi lint metrics reports errors in a file and exits 1', async () => {
    const file = path.join(dir, 'm.prom');
    await writeFile(file, '# TYPE a counter\na{b="c"} 1\na{b="c"} x\n');
    const r = await run(['lint', 'metrics', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/m\.prom:3: error \[parse\]/);
  });
});
