import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parseYamlConfig } from '../../config/load-yaml.js';
import { monitorsConfig } from './config.js';

describe('monitorsConfig', () => {
  it('has sane defaults for an empty or absent section', () => {
    const want = {
      checks: { unknown_as: 'warning', max_check_attempts: 1, notification_interval: 0 },
      heartbeat: { enabled: true, after: 300_000 },
      thresholds: [],
      watchdog: { enabled: false, labels: {} },
    };
    expect(monitorsConfig.parse({})).toEqual(want);
    expect(monitorsConfig.parse({ checks: {}, heartbeat: {} })).toEqual(want);
  });

  it('reads every setting', () => {
    const text = [
      'checks: { unknown_as: ignore, max_check_attempts: 3, notification_interval: 1h }',
      'heartbeat: { enabled: false, after: 10m }',
      'thresholds:',
      '  - { name: HighLoad, metric: node_load1, operator: ">", warning: 4, for: 5m }',
      '',
    ].join('\n');
    const { config, diagnostics } = parseYamlConfig(text, 'kanshi.yml', monitorsConfig);
    expect(diagnostics).toEqual([]);
    expect(config).toMatchObject({
      checks: { unknown_as: 'ignore', max_check_attempts: 3, notification_interval: 3_600_000 },
      heartbeat: { enabled: false, after: 600_000 },
      thresholds: [{ name: 'HighLoad', for: 300_000, warning: 4 }],
    });
  });

  it.each([
    ['checks: { unknown_as: page }', 'checks.unknown_as'],
    ['checks: { max_check_attempts: 0 }', 'checks.max_check_attempts'],
    ['checks: { notification_interval: soon }', 'checks.notification_interval: not a valid duration string'],
    ['heartbeat: { after: 0s }', 'heartbeat.after: must be > 0'],
    ['heartbeat: { every: 5m }', 'heartbeat.every'],
    ['watchdog: { enabled: yes please }', 'watchdog.enabled'],
    [
      'thresholds: [{ name: X, metric: m, operator: ">" }]',
      'thresholds[0].warning: set warning, critical or both',
    ],
  ])('rejects %s', (text, want) => {
    const { config, diagnostics } = parseYamlConfig(text, 'kanshi.yml', monitorsConfig);
    expect(config).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic).join('\n')).toContain(want);
  });
});
