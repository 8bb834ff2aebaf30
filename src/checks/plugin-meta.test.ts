import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPluginMeta, matchGraph, parsePluginMeta } from './plugin-meta.js';

const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const diskMeta = readFileSync(testdata('plugin-disk-meta.json'), 'utf8');
const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };

describe('parsePluginMeta', () => {
  it('reads graphs, units, labels, stacked flags and prefixes names with custom.', () => {
    const r = parsePluginMeta(`# mackerel-agent-plugin\n${diskMeta}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.hasHeader).toBe(true);
    expect(r.meta?.version).toBe('1');
    expect(r.meta?.graphs).toEqual([
      {
        key: 'disk.#',
        name: 'custom.disk.#',
        label: 'Disk usage',
        unit: 'bytes',
        metrics: [
          { name: 'used', pattern: 'custom.disk.#.used', label: 'Used (%1)', isStacked: true },
          { name: 'free', pattern: 'custom.disk.#.free', label: 'Free', isStacked: false },
        ],
      },
      {
        key: 'uptime',
        name: 'custom.uptime',
        label: 'Uptime',
        unit: 'seconds',
        metrics: [{ name: 'seconds', pattern: 'custom.uptime.seconds', label: 'Seconds', isStacked: false }],
      },
    ]);
  });

  it('reads header fields and defaults a missing label and unit', () => {
    const r = parsePluginMeta(
      '#mackerel-agent-plugin version=1 foo\n{"graphs":{"dice":{"metrics":[{"name":"d6"}]}}}',
    );
    expect(r.meta?.header).toEqual({ version: '1', foo: '' });
    expect(r.meta?.graphs[0]).toMatchObject({ label: 'dice', unit: 'float', metrics: [{ label: 'd6' }] });
  });

  it.each([
    [
      'no header',
      'dice.d6\t3\t1700000000\n',
      'no "# mackerel-agent-plugin" header, first line "dice.d6\\t3\\t1700000000"',
      false,
    ],
    ['empty output', '', 'no "# mackerel-agent-plugin" header, first line ""', false],
    ['a newer version', '# mackerel-agent-plugin version=2\n{}', 'unsupported plugin meta version "2"', true],
    ['broken JSON', '# mackerel-agent-plugin\n{"graphs": {', 'plugin meta is not valid JSON', true],
    ['no graphs', '# mackerel-agent-plugin\n{"graph": {}}', 'plugin meta has no "graphs" object', true],
  ])('gives no meta and a diagnostic for %s', (_, text, diagnostic, hasHeader) => {
    const r = parsePluginMeta(text);
    expect(r.meta).toBeUndefined();
    expect(r.hasHeader).toBe(hasHeader);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toContain(diagnostic);
  });

  it('keeps the good graphs and lists every bad one', () => {
    const r = parsePluginMeta(
      '# mackerel-agent-plugin\n' +
        JSON.stringify({
          graphs: {
            'ok.graph': { unit: 'watts', metrics: [{ name: 'a' }, { label: 'no name' }, { name: 'b c' }] },
            'bad key!': { metrics: [] },
            nometrics: { label: 'x' },
            notobject: 3,
          },
        }),
    );
    expect(r.meta?.graphs.map((g) => g.key)).toEqual(['ok.graph']);
    expect(r.meta?.graphs[0]?.unit).toBe('float');
    expect(r.meta?.graphs[0]?.metrics.map((m) => m.name)).toEqual(['a']);
    expect(r.diagnostics).toEqual([
      'graphs["ok.graph"].unit: unknown unit "watts", using "float"',
      'graphs["ok.graph"].metrics[1]: needs a non-empty string "name"',
      'graphs["ok.graph"].metrics[2]: name "b c" must be [-a-zA-Z0-9_] segments or * / #',
      'graphs["bad key!"]: graph key must be dot-separated [-a-zA-Z0-9_] segments or * / #',
      'graphs["nometrics"].metrics: must be an array',
      'graphs["notobject"]: must be an object',
    ]);
  });
});

describe('matchGraph', () => {
  const graphs = parsePluginMeta(
    '# mackerel-agent-plugin\n' +
      JSON.stringify({
        graphs: {
          'disk.#': { metrics: [{ name: 'used', label: '%1 used' }, { name: '*' }] },
          'disk.sda': { metrics: [{ name: 'used', label: 'sda exactly' }] },
          'conntrack.count': { metrics: [{ name: '*', label: '%1 (%2)' }] },
        },
      }),
  ).meta!.graphs;

  it.each([
    ['custom.disk.sdb.used', 'custom.disk.#.used', ['sdb'], 'sdb used'],
    ['custom.disk.sda.used', 'custom.disk.sda.used', [], 'sda exactly'],
    ['custom.disk.sdb.free', 'custom.disk.#.*', ['sdb', 'free'], '*'],
    ['custom.conntrack.count.tcp', 'custom.conntrack.count.*', ['tcp'], 'tcp (%2)'],
  ])('resolves %s to %s with wildcards %j', (name, pattern, wildcards, label) => {
    const m = matchGraph(name, graphs);
    expect(m?.metric.pattern).toBe(pattern);
    expect(m?.wildcards).toEqual(wildcards);
    expect(m?.displayLabel).toBe(label);
  });

  it.each(['custom.disk.sda', 'custom.disk.a.b.used', 'disk.sda.used', 'custom.other.x'])(
    'finds no graph for %s',
    (name) => {
      expect(matchGraph(name, graphs)).toBeUndefined();
    },
  );
});

describe('loadPluginMeta', () => {
  it('runs the command with both meta variables set to 1', async () => {
    const r = await loadPluginMeta(
      [
        '/bin/sh',
        '-c',
        'echo "# mackerel-agent-plugin"; echo "{\\"graphs\\":{\\"$MACKEREL_AGENT_PLUGIN_META$KANSHI_AGENT_PLUGIN_META\\":{\\"metrics\\":[]}}}"',
      ],
      { timeoutMs: 5000, baseEnv: env },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.meta?.graphs[0]?.key).toBe('11');
  });

  it('turns a missing command into a diagnostic', async () => {
    const r = await loadPluginMeta(['/nonexistent/plugin'], { timeoutMs: 5000, baseEnv: env });
    expect(r.meta).toBeUndefined();
    expect(r.diagnostics).toEqual(['plugin meta: command not found: /nonexistent/plugin']);
  });

  it('loads the testdata plugin', async () => {
    const r = await loadPluginMeta(['/bin/sh', testdata('plugin-disk.sh')], {
      timeoutMs: 5000,
      baseEnv: env,
    });
    expect(r.meta?.graphs.map((g) => g.name)).toEqual(['custom.disk.#', 'custom.uptime']);
  });
});
