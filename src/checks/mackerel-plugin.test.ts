import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../base/logger.js';
import { labelsToRecord } from '../model/labels.js';
import { Registry } from '../exposition/registry.js';
import { writeText } from '../exposition/write-text.js';
import {
  graphInfoFamily,
  mapMackerelName,
  MetricPlugin,
  patternMetricName,
  PLUGIN_GRAPH_INFO,
  parsePluginLine,
  pluginInvalidLinesCounter,
} from './mackerel-plugin.js';
import { graphUnitDisplay, parsePluginMeta, type GraphUnit } from './plugin-meta.js';

const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const signal = new AbortController().signal;

describe('parsePluginLine', () => {
  it.each([
    [
      'tab-separated Mackerel line',
      'memcached.cmd.get\t123\t1700000000',
      'memcached.cmd.get',
      123,
      1700000000000,
    ],
    ['graphite spaces', 'servers.web-1.load 0.75 1700000000', 'servers.web-1.load', 0.75, 1700000000000],
    ['mixed whitespace and CR', '  a.b \t -1.5e3   1700000000\r', 'a.b', -1500, 1700000000000],
    ['fractional epoch', 'x 1 1700000000.25', 'x', 1, 1700000000250],
    ['+Inf', 'x +Inf 1', 'x', Infinity, 1000],
    ['-inf', 'x -inf 1', 'x', -Infinity, 1000],
    ['leading dot value', 'x .5 0', 'x', 0.5, 0],
  ])('parses a %s', (_, line, name, value, timestampMs) => {
    expect(parsePluginLine(line)).toEqual({ kind: 'sample', name, value, timestampMs });
  });

  it('parses NaN', () => {
    const r = parsePluginLine('x NaN 1');
    expect(r.kind === 'sample' && Number.isNaN(r.value)).toBe(true);
  });

  it.each(['', '   ', '# mackerel-agent-plugin', '#comment 1 2'])('treats %j as blank', (line) => {
    expect(parsePluginLine(line)).toEqual({ kind: 'blank' });
  });

  it.each([
    ['x 1', 'expected 3 fields "name value epoch", got 2'],
    ['x 1 2 3', 'expected 3 fields "name value epoch", got 4'],
    ['x five 1700000000', 'value "five" is not a number'],
    ['x 0x10 1700000000', 'value "0x10" is not a number'],
    ['x 1,5 1700000000', 'value "1,5" is not a number'],
    ['x 1 yesterday', 'epoch "yesterday" is not a number of seconds'],
    ['x 1 -1', 'epoch "-1" is not a number of seconds'],
    ['x 1 1700000000000', 'epoch 1700000000000 is out of range (seconds expected, not milliseconds)'],
    ['a..b 1 1', 'metric name "a..b" must be dot-separated segments of [-a-zA-Z0-9_]'],
    ['.a 1 1', 'metric name ".a" must be dot-separated segments of [-a-zA-Z0-9_]'],
    ['a/b 1 1', 'metric name "a/b" must be dot-separated segments of [-a-zA-Z0-9_]'],
  ])('rejects %j: %s', (line, reason) => {
    expect(parsePluginLine(line)).toEqual({ kind: 'invalid', reason });
  });
});

describe('mapMackerelName', () => {
  const graphs = parsePluginMeta(
    '# mackerel-agent-plugin\n' +
      JSON.stringify({
        graphs: {
          'disk.*': { metrics: [{ name: 'used' }] },
          'linux.#.#': { metrics: [{ name: 'x' }] },
          'job.#': { metrics: [{ name: 'y' }] },
          'status.5xx.#': { metrics: [{ name: 'z' }] },
          'plain.graph': { metrics: [{ name: 'v' }] },
        },
      }),
  ).meta!.graphs;

  it.each([
    ['custom.foo.bar-baz.count', 'custom_foo_bar_baz_count', {}],
    ['custom.disk.sda.used', 'custom_disk_used', { disk: 'sda' }],
    ['custom.linux.a.b.x', 'custom_linux_x', { linux: 'a', wildcard_2: 'b' }],
    ['custom.job.etl.y', 'custom_job_y', { wildcard_1: 'etl' }],
    ['custom.status.5xx.api.z', 'custom_status_5xx_z', { wildcard_1: 'api' }],
    ['custom.plain.graph.v', 'custom_plain_graph_v', {}],
  ])('maps %s to %s with labels %j', (mackerel, name, extra) => {
    const m = mapMackerelName(mackerel, { plugin: 'p', graphs });
    expect(m.name).toBe(name);
    expect(labelsToRecord(m.labels)).toEqual({ plugin: 'p', mackerel_name: mackerel, ...extra });
  });

  it('keeps names that sanitise alike apart by their mackerel_name', () => {
    const a = mapMackerelName('custom.a-b.c', { plugin: 'p' });
    const b = mapMackerelName('custom.a_b.c', { plugin: 'p' });
    expect(a.name).toBe(b.name);
    expect(a.labels).not.toEqual(b.labels);
  });
});

describe('patternMetricName', () => {
  it.each([
    ['custom.disk.#.used', 'custom_disk_used'],
    ['custom.linux.*.#.x', 'custom_linux_x'],
    ['custom.a-b.c', 'custom_a_b_c'],
  ])('names %s %s', (pattern, want) => {
    expect(patternMetricName(pattern)).toBe(want);
  });
});

describe('graphUnitDisplay', () => {
  it.each<[GraphUnit, string, number]>([
    ['float', 'short', 1],
    ['integer', 'short', 1],
    ['percentage', 'percent', 0.01],
    ['seconds', 'seconds', 1],
    ['milliseconds', 'seconds', 0.001],
    ['bytes', 'bytes', 1],
    ['bytes/sec', 'bytesPerSec', 1],
    ['bits/sec', 'bytesPerSec', 0.125],
    ['iops', 'perSec', 1],
  ])('shows %s as %s × %d', (unit, ui, scale) => {
    expect(graphUnitDisplay(unit)).toEqual({ unit: ui, scale });
  });
});

describe('MetricPlugin', () => {
  it('turns the testdata plugin into gauge families mapped through its graph meta', async () => {
    const registry = new Registry();
    const logger = new RecordingLogger();
    const plugin = new MetricPlugin({
      name: 'disk',
      command: ['/bin/sh', testdata('plugin-disk.sh')],
      timeoutMs: 5000,
      baseEnv: env,
      logger,
      invalidLines: pluginInvalidLinesCounter(registry),
    });
    const run = await plugin.run(signal);
    expect(run.error).toBeUndefined();
    expect(run.sampleCount).toBe(4);
    expect(run.invalidLineCount).toBe(2);
    expect(plugin.meta?.graphs).toHaveLength(2);
    expect(run.stderr).toBe('KANSHI_AGENT_PLUGIN_META=[]\n');
    const data = run.families.filter((f) => f.name !== PLUGIN_GRAPH_INFO);
    expect(writeText(data)).toMatchInlineSnapshot(`
      "# HELP custom_disk_used Disk usage: Used (sda) (Mackerel plugin disk)
      # TYPE custom_disk_used gauge
      custom_disk_used{disk="sda",mackerel_name="custom.disk.sda.used",plugin="disk"} 1024 1700000000000
      custom_disk_used{disk="sdb",mackerel_name="custom.disk.sdb.used",plugin="disk"} 2048 1700000000000
      # HELP custom_disk_free Disk usage: Free (Mackerel plugin disk)
      # TYPE custom_disk_free gauge
      custom_disk_free{disk="sda",mackerel_name="custom.disk.sda.free",plugin="disk"} 512 1700000000000
      # HELP custom_uptime_seconds Uptime: Seconds (Mackerel plugin disk)
      # TYPE custom_uptime_seconds gauge
      custom_uptime_seconds{mackerel_name="custom.uptime.seconds",plugin="disk"} 99.5 1700000000000
      "
    `);
    expect(pluginInvalidLinesCounter(registry).get({ plugin: 'disk' })).toBe(2);
    const invalid = logger.records.filter((r) => r.message === 'invalid plugin line skipped');
    expect(invalid.map((r) => r.fields)).toEqual([
      { plugin: 'disk', line: 'this line is broken', reason: 'expected 3 fields "name value epoch", got 4' },
      { plugin: 'disk', line: 'loadavg\tfive\t1700000000', reason: 'value "five" is not a number' },
    ]);
  });

  it('describes its graph lines in kanshi_plugin_graph_info, stamped at the run', async () => {
    const plugin = new MetricPlugin({
      name: 'disk',
      command: ['/bin/sh', testdata('plugin-disk.sh')],
      timeoutMs: 5000,
      baseEnv: env,
      now: () => 1_800_000_000_000,
    });
    const run = await plugin.run(signal);
    const info = run.families.find((f) => f.name === PLUGIN_GRAPH_INFO);
    expect(info?.samples.map((s) => [labelsToRecord(s.labels), s.value, s.timestampMs])).toEqual([
      [
        {
          graph: 'custom.disk.#',
          graph_label: 'Disk usage',
          mackerel_unit: 'bytes',
          metric: 'custom_disk_used',
          metric_label: 'Used (%1)',
          order: '0.0',
          pattern: 'custom.disk.#.used',
          plugin: 'disk',
          scale: '1',
          stacked: 'true',
          unit: 'bytes',
        },
        1,
        1_800_000_000_000,
      ],
      [
        expect.objectContaining({ metric: 'custom_disk_free', stacked: 'false', order: '0.1' }),
        1,
        1_800_000_000_000,
      ],
      [
        expect.objectContaining({ metric: 'custom_uptime_seconds', unit: 'seconds', order: '1.0' }),
        1,
        1_800_000_000_000,
      ],
    ]);
    // The info names the same series the data lines became.
    const names = new Set(run.families.map((f) => f.name));
    for (const s of info?.samples ?? []) expect(names).toContain(labelsToRecord(s.labels)['metric']);
  });

  it('writes no graph info without graph lines', () => {
    const meta = parsePluginMeta('# mackerel-agent-plugin\n{"graphs":{}}').meta!;
    expect(graphInfoFamily('p', meta, 1)).toBeUndefined();
  });

  it('runs the meta command only once', async () => {
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/kanshi-plugin-'));
    const script = `if [ -n "$MACKEREL_AGENT_PLUGIN_META" ]; then echo meta >> ${dir}/count; echo '# mackerel-agent-plugin'; echo '{"graphs":{}}'; else echo "a 1 1"; fi`;
    const plugin = new MetricPlugin({ name: 'p', command: script, timeoutMs: 5000, baseEnv: env });
    await plugin.run(signal);
    await plugin.run(signal);
    const { readFile, rm } = await import('node:fs/promises');
    expect(await readFile(`${dir}/count`, 'utf8')).toBe('meta\n');
    await rm(dir, { recursive: true });
  });

  it('loads the meta again after an aborted first attempt', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command:
        'if [ -n "$MACKEREL_AGENT_PLUGIN_META" ]; then echo "# mackerel-agent-plugin"; echo \'{"graphs":{"g":{"metrics":[{"name":"*"}]}}}\'; fi',
      timeoutMs: 5000,
      baseEnv: env,
    });
    const aborted = new AbortController();
    aborted.abort();
    expect((await plugin.run(aborted.signal)).error).toBe('aborted');
    expect(plugin.meta).toBeUndefined();
    await plugin.run(signal);
    expect(plugin.meta?.graphs.map((g) => g.name)).toEqual(['custom.g']);
  });

  it('runs the plugin and its meta in the given working directory', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command: ['/bin/sh', './plugin-disk.sh'],
      cwd: fileURLToPath(new URL('./testdata/', import.meta.url)),
      timeoutMs: 5000,
      baseEnv: env,
    });
    const run = await plugin.run(signal);
    expect(run.error).toBeUndefined();
    expect(run.sampleCount).toBe(4);
    expect(plugin.meta?.graphs).toHaveLength(2);
  });

  it('stamps the run with the injected clock', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command: 'true',
      timeoutMs: 5000,
      baseEnv: env,
      now: () => 42,
      meta: 'none',
    });
    expect((await plugin.run(signal)).startedAtMs).toBe(42);
  });

  it('keeps running without graphs when the meta is broken', async () => {
    const logger = new RecordingLogger();
    const plugin = new MetricPlugin({
      name: 'p',
      command:
        'if [ -n "$MACKEREL_AGENT_PLUGIN_META" ]; then echo "# mackerel-agent-plugin"; echo "{oops"; else echo "a.b 1 1"; fi',
      timeoutMs: 5000,
      baseEnv: env,
      logger,
    });
    const run = await plugin.run(signal);
    expect(run.families.map((f) => f.name)).toEqual(['custom_a_b']);
    expect(plugin.meta).toBeUndefined();
    expect(logger.records.find((r) => r.message === 'plugin meta problem')).toMatchObject({
      level: 'warn',
      fields: { plugin: 'p' },
    });
  });

  it('applies include and exclude patterns to the printed name', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command: 'printf "cpu.user 1 1\\ncpu.waiting 2 1\\nmem.used 3 1\\n"',
      timeoutMs: 5000,
      baseEnv: env,
      includePattern: '^cpu',
      excludePattern: /waiting$/,
      meta: 'none',
    });
    const run = await plugin.run(signal);
    expect(run.families.map((f) => f.name)).toEqual(['custom_cpu_user']);
    expect(run.filteredLineCount).toBe(2);
  });

  it('rejects a pattern that does not compile, naming it', () => {
    expect(() => new MetricPlugin({ name: 'p', command: 'true', timeoutMs: 1, includePattern: '(' })).toThrow(
      'invalid plugin pattern "("',
    );
  });

  it('reports a missing command as an error result', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command: ['/nonexistent/plugin'],
      timeoutMs: 5000,
      baseEnv: env,
    });
    const run = await plugin.run(signal);
    expect(run.error).toBe('command not found: /nonexistent/plugin');
    expect(run.families).toEqual([]);
  });

  it('kills a hanging plugin at its timeout', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command: 'echo "a 1 1"; sleep 30 & sleep 30',
      timeoutMs: 300,
      baseEnv: env,
      meta: 'none',
    });
    const run = await plugin.run(signal);
    expect(run.error).toBe('timed out after 300 ms');
    expect(run.families).toEqual([]);
    expect(run.durationMs).toBeLessThan(20_000);
  });

  it('drops the partial last line when output is cut at maxOutputBytes', async () => {
    // Each line is "m.N 1 1700000000\n"; 100 bytes end inside a line.
    const plugin = new MetricPlugin({
      name: 'p',
      command: 'i=0; while [ $i -lt 100 ]; do echo "m.$i 1 1700000000"; i=$((i+1)); done',
      timeoutMs: 5000,
      baseEnv: env,
      maxOutputBytes: 100,
      meta: 'none',
    });
    const run = await plugin.run(signal);
    expect(run.isTruncated).toBe(true);
    expect(run.invalidLineCount).toBe(0);
    // "m.0 1 1700000000\n" is 17 bytes: five whole lines (85 bytes) fit, the sixth is cut.
    expect(run.sampleCount).toBe(5);
  });

  it('keeps the output of a plugin that exits non-zero, as mackerel-agent does', async () => {
    const plugin = new MetricPlugin({
      name: 'p',
      command: 'echo "a 1 1"; exit 3',
      timeoutMs: 5000,
      baseEnv: env,
    });
    const run = await plugin.run(signal);
    expect(run.exitCode).toBe(3);
    expect(run.sampleCount).toBe(1);
  });
});
