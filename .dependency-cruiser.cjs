// The direction of imports between Kanshi's layers (STYLE.md): a layer may import the layers
// listed before it, never one after it. `npm run lint` fails on a wrong import.
const layers = [
  'base',
  'model',
  'config',
  'chunkenc',
  'storage',
  'remotewrite',
  'wal',
  'tsdb',
  'promql',
  'exposition',
  'scrape',
  'tenancy',
  'checks',
  'rules',
  'notify',
  'anomaly',
  'agent',
  'server',
  'cmd',
];
// Environment-neutral layers: pure code the web UI may also use.
const neutral = ['base', 'model', 'chunkenc', 'promql', 'anomaly'];

const upward = layers.map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer} may only import layers below it: ${layers.slice(0, i).join(', ') || 'none'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${layers.slice(i + 1).join('|') || 'NONE'})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'neutral-without-node',
      comment: 'environment-neutral layers never import node:* built-ins',
      severity: 'error',
      from: { path: `^src/(${neutral.join('|')})/` },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-test',
      comment: 'production code never imports tests or test support',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '(^test/|\\.test\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^dist/|node_modules)' },
  },
};
