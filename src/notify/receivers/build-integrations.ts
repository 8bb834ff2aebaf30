import { isAbsolute, resolve } from 'node:path';
import { AppError } from '../../base/errors.js';
import { AlertmanagerForwardNotifier } from './alertmanager.js';
import { DiscordNotifier } from './discord.js';
import { EmailNotifier } from './email.js';
import { ExecNotifier } from './exec.js';
import { MsteamsNotifier } from './msteams.js';
import { SlackNotifier } from './slack.js';
import { WebhookNotifier } from './webhook.js';
import type { ReceiverConfig, ReceiverGlobals } from './schema.js';
import { TemplateSet } from './template-set.js';
import type { Notifier } from '../types.js';

/** What {@link buildIntegrations} needs besides the receiver. */
export interface IntegrationContext {
  /** The receiver-related `global:` keys (smtp_*, slack_api_url). */
  readonly globals?: ReceiverGlobals | undefined;
  /** Relative `*_file` paths and exec working directory resolve against this (the config file's folder). */
  readonly configDir?: string | undefined;
  /** Injected fetch for the HTTP integrations (tests); default the global one. */
  readonly fetch?: typeof fetch | undefined;
  /** The `templates:` files' named templates; default Alertmanager's defaults only. */
  readonly templates?: TemplateSet | undefined;
  /** Environment inherited by exec commands (the composition root passes process.env). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>> | undefined;
}

/** An integration with the name the delivery queue and history know it by: `webhook[0]`, `email[1]`, … */
export interface NamedNotifier extends Notifier {
  /** `<kind>[<index in its *_configs list>]`, stable while the receiver's config is. */
  readonly integration: string;
}

function named(n: Notifier, index: number): NamedNotifier {
  const integration = `${n.kind}[${index}]`;
  return Object.assign(n, { integration });
}

/**
 * Builds one {@link Notifier} per entry of the receiver's `*_configs` lists, in Alertmanager's order
 * (email, slack, webhook, msteams, discord, then Kanshi's alertmanager and exec). Throws AppError
 * 'bad_input' when an entry lacks what a global would supply (email without `from`/`smarthost`).
 */
export function buildIntegrations(receiver: ReceiverConfig, ctx: IntegrationContext = {}): NamedNotifier[] {
  const g = ctx.globals ?? {};
  const file = (p: string | undefined): string | undefined =>
    p === undefined || isAbsolute(p) || ctx.configDir === undefined ? p : resolve(ctx.configDir, p);
  const http = { fetch: ctx.fetch, templates: ctx.templates };
  const out: NamedNotifier[] = [];

  receiver.email_configs.forEach((c, i) => {
    const from = c.from ?? g.smtp_from;
    const smarthost = c.smarthost ?? g.smtp_smarthost;
    const where = `receiver ${receiver.name}: email_configs[${i}]`;
    if (from === undefined || from === '') throw new AppError('bad_input', `${where}: no from address set`);
    if (smarthost === undefined || smarthost === '')
      throw new AppError('bad_input', `${where}: no smarthost set`);
    // An entry with its own auth_username takes none of the global credentials.
    const ownAuth = c.auth_username !== undefined;
    const settings = {
      to: c.to,
      from,
      hello: c.hello ?? g.smtp_hello ?? 'localhost',
      smarthost,
      authUsername: ownAuth ? c.auth_username : g.smtp_auth_username,
      authPassword: ownAuth ? c.auth_password : g.smtp_auth_password,
      authPasswordFile: file(ownAuth ? c.auth_password_file : g.smtp_auth_password_file),
      authSecret: ownAuth ? c.auth_secret : g.smtp_auth_secret,
      requireTls: c.require_tls ?? g.smtp_require_tls ?? true,
      insecureSkipVerify: c.tls_config?.insecure_skip_verify ?? false,
      caFile: file(c.tls_config?.ca_file),
      serverName: c.tls_config?.server_name,
      headers: c.headers,
      html: c.html,
      text: c.text,
    };
    out.push(named(new EmailNotifier(settings, c.send_resolved, ctx.templates), i));
  });
  receiver.slack_configs.forEach((c, i) => {
    const apiUrl = c.api_url ?? (c.api_url_file === undefined ? g.slack_api_url : undefined);
    const apiUrlFile = file(c.api_url_file ?? (apiUrl === undefined ? g.slack_api_url_file : undefined));
    if (apiUrl === undefined && apiUrlFile === undefined)
      throw new AppError(
        'bad_input',
        `receiver ${receiver.name}: slack_configs[${i}]: no api_url and no global slack_api_url`,
      );
    out.push(named(new SlackNotifier(withHttp(c, g), { apiUrl, apiUrlFile, ...http }), i));
  });
  receiver.webhook_configs.forEach((c, i) => {
    out.push(named(new WebhookNotifier({ ...withHttp(c, g), url_file: file(c.url_file) }, http), i));
  });
  receiver.msteams_configs.forEach((c, i) => {
    const cfg = { ...withHttp(c, g), webhook_url_file: file(c.webhook_url_file) };
    out.push(named(new MsteamsNotifier(cfg, http), i));
  });
  receiver.discord_configs.forEach((c, i) => {
    const cfg = { ...withHttp(c, g), webhook_url_file: file(c.webhook_url_file) };
    out.push(named(new DiscordNotifier(cfg, http), i));
  });
  receiver.alertmanager_configs.forEach((c, i) => {
    out.push(named(new AlertmanagerForwardNotifier(withHttp(c, g), http), i));
  });
  receiver.exec_configs.forEach((c, i) => {
    const deps = {
      ...(ctx.baseEnv !== undefined ? { baseEnv: ctx.baseEnv } : {}),
      ...(ctx.configDir !== undefined ? { cwd: ctx.configDir } : {}),
    };
    out.push(named(new ExecNotifier(c, deps), i));
  });
  return out;
}

/** Applies `global.http_config` to an entry without its own. */
function withHttp<T extends { http_config?: ReceiverGlobals['http_config'] }>(c: T, g: ReceiverGlobals): T {
  if (c.http_config !== undefined || g.http_config === undefined) return c;
  return { ...c, http_config: g.http_config };
}

/** The template fields of each integration kind (what Alertmanager expands per notification). */
const TEMPLATE_FIELDS = {
  slack_configs: [
    'channel',
    'username',
    'color',
    'title',
    'title_link',
    'pretext',
    'text',
    'footer',
    'fallback',
    'callback_id',
    'icon_emoji',
    'icon_url',
    'image_url',
    'thumb_url',
  ],
  email_configs: ['to', 'html', 'text'],
  msteams_configs: ['title', 'summary', 'text'],
  discord_configs: ['title', 'message', 'content'],
} as const;

/**
 * Checks every template field of `receiver` against `templates` (syntax, functions, called templates
 * and their arguments) and returns one message per problem, e.g.
 * `receiver ops: slack_configs[0].title: template: … no such template "x"`. For config-load diagnostics,
 * so that a template error is reported at load instead of failing notifications later.
 */
export function checkReceiverTemplates(receiver: ReceiverConfig, templates: TemplateSet): string[] {
  const problems: string[] = [];
  const check = (path: string, text: string | undefined): void => {
    if (text === undefined) return;
    const p = templates.check(path, text);
    if (p !== undefined) problems.push(`receiver ${receiver.name}: ${path}: ${p}`);
  };
  for (const key of Object.keys(TEMPLATE_FIELDS) as (keyof typeof TEMPLATE_FIELDS)[]) {
    receiver[key].forEach((c: Readonly<Record<string, unknown>>, i) => {
      for (const f of TEMPLATE_FIELDS[key]) {
        const v = c[f];
        if (typeof v === 'string') check(`${key}[${i}].${f}`, v);
      }
    });
  }
  receiver.slack_configs.forEach((c, i) =>
    c.fields.forEach((f, j) => {
      check(`slack_configs[${i}].fields[${j}].title`, f.title);
      check(`slack_configs[${i}].fields[${j}].value`, f.value);
    }),
  );
  receiver.email_configs.forEach((c, i) => {
    for (const [h, v] of Object.entries(c.headers)) check(`email_configs[${i}].headers.${h}`, v);
  });
  return problems;
}

/** What {@link buildAllIntegrations} produced. */
export interface BuiltReceivers {
  /** Receiver name → its integrations (receivers with a problem are left out). */
  readonly integrations: ReadonlyMap<string, readonly NamedNotifier[]>;
  /** Every problem found, one message each (missing globals, template errors); empty when all is well. */
  readonly problems: readonly string[];
}

/**
 * Builds the integrations of every receiver and checks their templates, collecting all problems
 * instead of stopping at the first (for config load and reload: apply only when `problems` is empty).
 * `ctx.templates` defaults to Alertmanager's defaults.
 */
export function buildAllIntegrations(
  receivers: readonly ReceiverConfig[],
  ctx: IntegrationContext = {},
): BuiltReceivers {
  const integrations = new Map<string, NamedNotifier[]>();
  const problems: string[] = [];
  for (const r of receivers) {
    const templateProblems = checkReceiverTemplates(r, ctx.templates ?? TemplateSet.defaults);
    problems.push(...templateProblems);
    try {
      const built = buildIntegrations(r, ctx);
      if (templateProblems.length === 0) integrations.set(r.name, built);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  return { integrations, problems };
}
