import { z } from 'zod';
import { errorMessage } from '../base/errors.js';
import { durationMs, positiveDurationMs } from '../config/schema-types.js';
import { labelNameRe } from '../model/labels.js';
import { compareMatchers, legacyMatchers, parseMatchers, type Matcher } from './matchers.js';
import {
  notifyHttpConfigSchema,
  receiverSchema,
  type ReceiverConfig,
  type ReceiverGlobals,
} from './receivers/schema.js';
import { namedTimeIntervalSchema, type TimeInterval } from './time-intervals.js';

/**
 * The `notifications:` section of kanshi.yml: Alertmanager 0.25's configuration file (`global`,
 * `route`, `receivers`, `inhibit_rules`, `time_intervals`, legacy `mute_time_intervals`, `templates`),
 * so an alertmanager.yml pastes in unchanged. The schema checks the YAML shape strictly, then what
 * Alertmanager checks when it loads a file (config/config.go): the root route has a receiver and no
 * matchers or time intervals, every receiver and time interval a route names exists, names are unique,
 * `group_by` has no duplicates and `...` stands alone, `group_interval`/`repeat_interval` are not zero.
 * Each problem is an issue at its key path. Durations are in ms.
 */

/** Alertmanager's defaults for the root route. */
export const DEFAULT_GROUP_WAIT_MS = 30_000;
export const DEFAULT_GROUP_INTERVAL_MS = 300_000;
export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000;
export const DEFAULT_RESOLVE_TIMEOUT_MS = 300_000;

const optionalString = z.string().optional();

/** Alertmanager's `global:` section. Receiver defaults (`smtp_*`, `slack_api_url`) are handed to the receivers. */
export const notifyGlobalSchema = z.strictObject({
  /** How long after the last update an alert without `endsAt` counts as resolved. */
  resolve_timeout: positiveDurationMs.default(DEFAULT_RESOLVE_TIMEOUT_MS),
  http_config: notifyHttpConfigSchema.optional(),
  smtp_from: optionalString,
  smtp_hello: optionalString,
  smtp_smarthost: optionalString,
  smtp_auth_username: optionalString,
  smtp_auth_password: optionalString,
  smtp_auth_password_file: optionalString,
  smtp_auth_identity: optionalString,
  smtp_auth_secret: optionalString,
  smtp_require_tls: z.boolean().optional(),
  slack_api_url: optionalString,
  slack_api_url_file: optionalString,
  // Accepted so that an alertmanager.yml pastes in; Kanshi has no receivers that use them.
  pagerduty_url: optionalString,
  opsgenie_api_url: optionalString,
  opsgenie_api_key: optionalString,
  opsgenie_api_key_file: optionalString,
  wechat_api_url: optionalString,
  wechat_api_secret: optionalString,
  wechat_api_corp_id: optionalString,
  victorops_api_url: optionalString,
  victorops_api_key: optionalString,
  victorops_api_key_file: optionalString,
  telegram_api_url: optionalString,
  webex_api_url: optionalString,
});

/** The parsed `global:` section. */
export type NotifyGlobalConfig = z.output<typeof notifyGlobalSchema>;

const stringMap = z.record(z.string(), z.string());

/** One route as written in YAML, before validation (nested `routes` recursively). */
const routeYamlSchema = z.strictObject({
  receiver: optionalString,
  group_by: z.array(z.string()).optional(),
  match: stringMap.optional(),
  match_re: stringMap.optional(),
  matchers: z.array(z.string()).optional(),
  mute_time_intervals: z.array(z.string()).optional(),
  active_time_intervals: z.array(z.string()).optional(),
  continue: z.boolean().default(false),
  group_wait: durationMs.optional(),
  group_interval: durationMs.optional(),
  repeat_interval: durationMs.optional(),
  get routes() {
    return z.array(routeYamlSchema).optional();
  },
});

type RouteYaml = z.output<typeof routeYamlSchema>;

const inhibitRuleYamlSchema = z.strictObject({
  source_match: stringMap.optional(),
  source_match_re: stringMap.optional(),
  source_matchers: z.array(z.string()).optional(),
  target_match: stringMap.optional(),
  target_match_re: stringMap.optional(),
  target_matchers: z.array(z.string()).optional(),
  equal: z.array(z.string()).optional(),
});

/**
 * One node of the route tree as configured. Fields left unset inherit from the parent when the tree
 * is built (src/notify/route.ts); `groupBy` undefined means "inherit".
 */
export interface RouteConfig {
  readonly receiver?: string;
  /** Explicit `group_by` label names (without `...`); undefined when not set. */
  readonly groupBy?: readonly string[];
  /** `group_by: ['...']`: group by all labels. */
  readonly groupByAll: boolean;
  /** `match`, `match_re` and `matchers` together, in Alertmanager's sort order. */
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly groupWaitMs?: number;
  readonly groupIntervalMs?: number;
  readonly repeatIntervalMs?: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  readonly routes: readonly RouteConfig[];
}

/** One inhibit rule: a firing alert matching `sourceMatchers` mutes alerts matching `targetMatchers` with equal `equal` labels. */
export interface InhibitRuleConfig {
  readonly sourceMatchers: readonly Matcher[];
  readonly targetMatchers: readonly Matcher[];
  readonly equal: readonly string[];
}

/** The parsed `notifications:` section. */
export interface NotificationsConfig {
  readonly global: NotifyGlobalConfig;
  readonly route: RouteConfig;
  readonly receivers: readonly ReceiverConfig[];
  readonly inhibitRules: readonly InhibitRuleConfig[];
  /** `time_intervals` and `mute_time_intervals` by name. */
  readonly timeIntervals: Readonly<Record<string, readonly TimeInterval[]>>;
  /** Template file globs, as written (relative to the config file). */
  readonly templates: readonly string[];
}

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

function issue(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

function matchersAt(
  ctx: Ctx,
  path: Path,
  y: {
    match?: Record<string, string> | undefined;
    match_re?: Record<string, string> | undefined;
    matchers?: string[] | undefined;
  },
  keys: [string, string, string] = ['match', 'match_re', 'matchers'],
): Matcher[] {
  const out: Matcher[] = [];
  for (const [key, map, type] of [
    [keys[0], y.match, '='],
    [keys[1], y.match_re, '=~'],
  ] as const) {
    for (const [name, value] of Object.entries(map ?? {})) {
      try {
        out.push(
          ...(type === '=' ? legacyMatchers({ [name]: value }) : legacyMatchers({}, { [name]: value })),
        );
      } catch (e) {
        issue(ctx, [...path, key, name], errorMessage(e));
      }
    }
  }
  for (const [i, text] of (y.matchers ?? []).entries()) {
    try {
      out.push(...parseMatchers(text));
    } catch (e) {
      issue(ctx, [...path, keys[2], i], errorMessage(e));
    }
  }
  return out.sort(compareMatchers);
}

function buildRoute(
  ctx: Ctx,
  y: RouteYaml,
  path: Path,
  known: { receivers: Set<string>; intervals: Set<string> },
): RouteConfig {
  let groupBy: string[] | undefined;
  let groupByAll = false;
  const seen = new Set<string>();
  for (const [i, name] of (y.group_by ?? []).entries()) {
    if (name === '...') {
      groupByAll = true;
      continue;
    }
    if (!labelNameRe.test(name))
      issue(ctx, [...path, 'group_by', i], `invalid label name "${name}" in group_by list`);
    else if (seen.has(name)) issue(ctx, [...path, 'group_by', i], `duplicated label "${name}" in group_by`);
    seen.add(name);
    (groupBy ??= []).push(name);
  }
  if (groupByAll && groupBy !== undefined) {
    issue(
      ctx,
      [...path, 'group_by'],
      'cannot have wildcard group_by (`...`) and other labels at the same time',
    );
  }
  if (y.group_interval === 0) issue(ctx, [...path, 'group_interval'], 'group_interval cannot be zero');
  if (y.repeat_interval === 0) issue(ctx, [...path, 'repeat_interval'], 'repeat_interval cannot be zero');
  if (y.receiver !== undefined && y.receiver !== '' && !known.receivers.has(y.receiver)) {
    issue(ctx, [...path, 'receiver'], `undefined receiver "${y.receiver}" used in route`);
  }
  for (const key of ['mute_time_intervals', 'active_time_intervals'] as const) {
    for (const [i, name] of (y[key] ?? []).entries()) {
      if (!known.intervals.has(name))
        issue(ctx, [...path, key, i], `undefined time interval "${name}" used in route`);
    }
  }
  const routes = (y.routes ?? []).map((r, i) => buildRoute(ctx, r, [...path, 'routes', i], known));
  return {
    ...(y.receiver !== undefined && y.receiver !== '' ? { receiver: y.receiver } : {}),
    ...(groupBy !== undefined ? { groupBy } : {}),
    groupByAll,
    matchers: matchersAt(ctx, path, y),
    continue: y.continue,
    ...(y.group_wait !== undefined ? { groupWaitMs: y.group_wait } : {}),
    ...(y.group_interval !== undefined ? { groupIntervalMs: y.group_interval } : {}),
    ...(y.repeat_interval !== undefined ? { repeatIntervalMs: y.repeat_interval } : {}),
    muteTimeIntervals: y.mute_time_intervals ?? [],
    activeTimeIntervals: y.active_time_intervals ?? [],
    routes,
  };
}

/** Alertmanager's configuration file, as the `notifications:` section of kanshi.yml. */
export const notificationsConfig = z
  .strictObject({
    global: notifyGlobalSchema.default(() => notifyGlobalSchema.parse({})),
    route: routeYamlSchema.optional(),
    receivers: z.array(receiverSchema).default([]),
    inhibit_rules: z.array(inhibitRuleYamlSchema).default([]),
    time_intervals: z.array(namedTimeIntervalSchema).default([]),
    mute_time_intervals: z.array(namedTimeIntervalSchema).default([]),
    templates: z.array(z.string()).default([]),
  })
  .transform((y, ctx): NotificationsConfig => {
    const before = ctx.issues.length;
    const receivers = new Set<string>();
    for (const [i, r] of y.receivers.entries()) {
      if (receivers.has(r.name))
        issue(ctx, ['receivers', i, 'name'], `notification config name "${r.name}" is not unique`);
      receivers.add(r.name);
    }
    const timeIntervals: Record<string, TimeInterval[]> = {};
    for (const key of ['mute_time_intervals', 'time_intervals'] as const) {
      for (const [i, ti] of y[key].entries()) {
        if (Object.hasOwn(timeIntervals, ti.name)) {
          issue(ctx, [key, i, 'name'], `time interval "${ti.name}" is not unique`);
        }
        timeIntervals[ti.name] = ti.time_intervals;
      }
    }
    const inhibitRules = y.inhibit_rules.map((r, i): InhibitRuleConfig => {
      const path = ['inhibit_rules', i];
      const equal = r.equal ?? [];
      for (const [j, name] of equal.entries()) {
        if (!labelNameRe.test(name)) issue(ctx, [...path, 'equal', j], `invalid label name "${name}"`);
      }
      return {
        sourceMatchers: matchersAt(
          ctx,
          path,
          {
            ...optional('match', r.source_match),
            ...optional('match_re', r.source_match_re),
            ...optional('matchers', r.source_matchers),
          },
          ['source_match', 'source_match_re', 'source_matchers'],
        ),
        targetMatchers: matchersAt(
          ctx,
          path,
          {
            ...optional('match', r.target_match),
            ...optional('match_re', r.target_match_re),
            ...optional('matchers', r.target_matchers),
          },
          ['target_match', 'target_match_re', 'target_matchers'],
        ),
        equal,
      };
    });
    const root = y.route;
    let route: RouteConfig | undefined;
    if (root === undefined) {
      issue(ctx, ['route'], 'no routes provided');
    } else {
      if (root.receiver === undefined || root.receiver === '') {
        issue(ctx, ['route', 'receiver'], 'root route must specify a default receiver');
      }
      if (
        Object.keys(root.match ?? {}).length > 0 ||
        Object.keys(root.match_re ?? {}).length > 0 ||
        (root.matchers ?? []).length > 0
      ) {
        issue(ctx, ['route'], 'root route must not have any matchers');
      }
      if ((root.mute_time_intervals ?? []).length > 0) {
        issue(ctx, ['route', 'mute_time_intervals'], 'root route must not have any mute time intervals');
      }
      if ((root.active_time_intervals ?? []).length > 0) {
        issue(ctx, ['route', 'active_time_intervals'], 'root route must not have any active time intervals');
      }
      route = buildRoute(ctx, root, ['route'], { receivers, intervals: new Set(Object.keys(timeIntervals)) });
    }
    if (ctx.issues.length > before || route === undefined) return z.NEVER;
    return {
      global: y.global,
      route,
      receivers: y.receivers,
      inhibitRules,
      timeIntervals,
      templates: y.templates,
    };
  });

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Whether any integration of the receiver sends resolved notifications (`send_resolved`). */
export function receiverSendsResolved(receiver: ReceiverConfig): boolean {
  for (const [key, value] of Object.entries(receiver)) {
    if (!key.endsWith('_configs') || !Array.isArray(value)) continue;
    for (const entry of value as { send_resolved?: boolean }[]) if (entry.send_resolved === true) return true;
  }
  return false;
}

/** The receiver defaults of `global:` (`smtp_*`, `slack_api_url`, `http_config`) for building integrations. */
export function receiverGlobals(global: NotifyGlobalConfig): ReceiverGlobals {
  const out: Record<string, unknown> = {};
  for (const key of [
    'smtp_from',
    'smtp_hello',
    'smtp_smarthost',
    'smtp_auth_username',
    'smtp_auth_password',
    'smtp_auth_password_file',
    'smtp_auth_identity',
    'smtp_auth_secret',
    'smtp_require_tls',
    'slack_api_url',
    'slack_api_url_file',
    'http_config',
  ] as const) {
    if (global[key] !== undefined) out[key] = global[key];
  }
  return out;
}
