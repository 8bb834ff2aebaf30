import { AppError } from '../../base/errors.js';
import type { LabelSet, Notification, NotifiedAlert } from '../types.js';

/**
 * What Alertmanager's notification templates see (template.Data: `.Receiver`, `.Status`, `.Alerts`,
 * `.GroupLabels`, `.CommonLabels`, `.CommonAnnotations`, `.ExternalURL`), and the essentials of its
 * default templates (`__subject`, `slack.default.*`, `email.default.*`, `msteams.default.*`,
 * `discord.default.*`), for the receivers' titles and bodies.
 *
 * Templates run on the Go text/template engine of src/rules/template.ts (see template-set.ts for
 * how `{{ template "NAME" . }}` is resolved). That engine has no Alertmanager-only functions (`join`,
 * `.Remove`), so the default templates are computed here in TypeScript. Label sets are {@link KV}
 * maps, which answer `.SortedPairs`, `.Names` and `.Values` as Alertmanager's `template.KV` does.
 */

/** One `Name`/`Value` pair of {@link KV.SortedPairs}. */
export interface TemplatePair {
  readonly Name: string;
  readonly Value: string;
}

const KV_METHODS = new Set(['SortedPairs', 'Names', 'Values']);

/**
 * A label set in a template: a Go `map[string]string` (missing keys read as ''), plus the
 * argument-less methods of Alertmanager's `template.KV`. A real label with a method's name wins.
 */
export class KV extends Map<string, string> {
  constructor(set: LabelSet) {
    super(Object.entries(set).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Label names in Alertmanager's SortedPairs order: `alertname` first, then the rest sorted. */
  names(): string[] {
    const names = [...this.keys()].sort();
    const i = names.indexOf('alertname');
    if (i > 0) names.unshift(...names.splice(i, 1));
    return names;
  }

  /** `.Remove LIST`: a copy without the given label names (Alertmanager's `KV.Remove`). */
  templateMethod(name: string): ((args: readonly unknown[]) => unknown) | undefined {
    if (name !== 'Remove') return undefined;
    return (args) => {
      const [keys] = args;
      if (args.length !== 1 || !Array.isArray(keys))
        throw new AppError('bad_input', `Remove wants one list of label names, got ${args.length} arguments`);
      const drop = new Set(keys.map(String));
      return new KV(Object.fromEntries([...this].filter(([k]) => !drop.has(k))));
    };
  }

  /** How `{{ .Labels }}` prints: `a=b, c=d` in SortedPairs order (Alertmanager's `KV.String`). */
  templateString(): string {
    return this.names()
      .map((n) => `${n}=${super.get(n) ?? ''}`)
      .join(', ');
  }

  override has(key: string): boolean {
    return super.has(key) || KV_METHODS.has(key);
  }

  // The template engine reads fields through get(); the union type matches how it treats values.
  override get(key: string): string | undefined {
    if (super.has(key) || !KV_METHODS.has(key)) return super.get(key);
    const names = this.names();
    const method: unknown =
      key === 'Names'
        ? names
        : key === 'Values'
          ? names.map((n) => super.get(n) ?? '')
          : names.map((n): TemplatePair => ({ Name: n, Value: super.get(n) ?? '' }));
    return method as string;
  }
}

/** One alert as templates see it (Alertmanager's template.Alert). */
export interface TemplateAlert {
  readonly Status: 'firing' | 'resolved';
  readonly Labels: KV;
  readonly Annotations: KV;
  /** Go's `time.Time.String()` form, UTC. */
  readonly StartsAt: string;
  /** Go's zero time for a firing alert, as Alertmanager hides an end not yet reached. */
  readonly EndsAt: string;
  readonly GeneratorURL: string;
  readonly Fingerprint: string;
}

/** `.Alerts`: an array with Alertmanager's `.Firing` and `.Resolved`. */
export type TemplateAlerts = TemplateAlert[] & {
  readonly Firing: TemplateAlert[];
  readonly Resolved: TemplateAlert[];
};

/** The dot of a notification template (template.Data). */
export interface TemplateData {
  /** The receiver name, regexp-quoted as Alertmanager does (`regexp.QuoteMeta`). */
  readonly Receiver: string;
  readonly Status: 'firing' | 'resolved';
  readonly Alerts: TemplateAlerts;
  readonly GroupLabels: KV;
  readonly CommonLabels: KV;
  readonly CommonAnnotations: KV;
  readonly ExternalURL: string;
}

/** Go's `regexp.QuoteMeta`. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** Go's `time.Time.String()` of a UTC instant in ms; 0 or less is Go's zero time. */
export function goTimeString(ms: number): string {
  if (!(ms > 0)) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = new Date(ms).toISOString(); // 2023-11-14T22:13:20.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '' ? '' : `.${frac}`} +0000 UTC`;
}

/** Go's JSON form of a time.Time (RFC 3339 with trailing zeros of the fraction dropped); 0 is the zero time. */
export function goTimeJson(ms: number): string {
  if (!(ms > 0)) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac === '' ? '' : `.${frac}`}Z`;
}

/** Builds a template alert; a firing alert's end is hidden (Go's zero time), as Alertmanager's types.Alerts does. */
export function templateAlert(a: NotifiedAlert): TemplateAlert {
  return {
    Status: a.status,
    Labels: new KV(a.labels),
    Annotations: new KV(a.annotations),
    StartsAt: goTimeString(a.startsAtMs),
    EndsAt: a.status === 'firing' ? goTimeString(0) : goTimeString(a.endsAtMs),
    GeneratorURL: a.generatorURL,
    Fingerprint: a.fingerprint,
  };
}

/** The template data of `n`, with `alerts` (default: all of them; receivers may pass a filtered list). */
export function templateData(n: Notification, alerts: readonly NotifiedAlert[] = n.alerts): TemplateData {
  const list = alerts.map(templateAlert);
  const all = Object.assign(list, {
    Firing: list.filter((a) => a.Status === 'firing'),
    Resolved: list.filter((a) => a.Status === 'resolved'),
  });
  return {
    Receiver: quoteMeta(n.receiver),
    Status: n.status,
    Alerts: all,
    GroupLabels: new KV(n.groupLabels),
    CommonLabels: new KV(n.commonLabels),
    CommonAnnotations: new KV(n.commonAnnotations),
    ExternalURL: n.externalURL,
  };
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

/** `__subject`: `[FIRING:2] <group label values> (<other common label values>)`. */
function subject(d: TemplateData): string {
  let s = `[${d.Status.toUpperCase()}${d.Status === 'firing' ? `:${d.Alerts.Firing.length}` : ''}] `;
  s += d.GroupLabels.names()
    .map((k) => d.GroupLabels.get(k))
    .join(' ');
  s += ' ';
  if (d.CommonLabels.size > d.GroupLabels.size) {
    const rest = d.CommonLabels.names().filter((k) => !Map.prototype.has.call(d.GroupLabels, k));
    s += `(${rest.map((k) => d.CommonLabels.get(k)).join(' ')})`;
  }
  return s;
}

function pairs(kv: KV): [string, string][] {
  return kv.names().map((k) => [k, kv.get(k) ?? '']);
}

/** `__text_alert_list`. */
function textAlertList(alerts: readonly TemplateAlert[]): string {
  let s = '';
  for (const a of alerts) {
    s += 'Labels:\n';
    for (const [k, v] of pairs(a.Labels)) s += ` - ${k} = ${v}\n`;
    s += 'Annotations:\n';
    for (const [k, v] of pairs(a.Annotations)) s += ` - ${k} = ${v}\n`;
    s += `Source: ${a.GeneratorURL}\n`;
  }
  return s;
}

/** `__text_alert_list_markdown` (msteams). */
function markdownAlertList(alerts: readonly TemplateAlert[]): string {
  let s = '';
  for (const a of alerts) {
    s += '\nLabels:\n';
    for (const [k, v] of pairs(a.Labels)) s += `  - ${k} = ${v}\n`;
    s += '\nAnnotations:\n';
    for (const [k, v] of pairs(a.Annotations)) s += `  - ${k} = ${v}\n`;
    s += `\nSource: ${a.GeneratorURL}\n`;
  }
  return `${s}\n`;
}

function firingResolvedText(d: TemplateData, heading: string, list: (a: TemplateAlert[]) => string): string {
  let s = '\n';
  if (d.Alerts.Firing.length > 0) s += `\n${heading}Alerts Firing:\n${list(d.Alerts.Firing)}\n`;
  s += '\n';
  if (d.Alerts.Resolved.length > 0) s += `\n${heading}Alerts Resolved:\n${list(d.Alerts.Resolved)}\n`;
  return `${s}\n`;
}

/** Kanshi's default HTML email: a heading, then each alert's labels, annotations and source link. */
function emailHtml(d: TemplateData): string {
  const e = escapeHtml;
  const section = (title: string, alerts: readonly TemplateAlert[]): string => {
    if (alerts.length === 0) return '';
    let s = `<h2>[${alerts.length}] ${title}</h2>\n`;
    for (const a of alerts) {
      s += '<table border="1" cellpadding="4" cellspacing="0">\n';
      for (const [k, v] of pairs(a.Labels)) s += `<tr><th align="left">${e(k)}</th><td>${e(v)}</td></tr>\n`;
      for (const [k, v] of pairs(a.Annotations))
        s += `<tr><th align="left">${e(k)}</th><td>${e(v)}</td></tr>\n`;
      s += `</table>\n<p><a href="${e(a.GeneratorURL)}">Source</a></p>\n`;
    }
    return s;
  };
  const group = pairs(d.GroupLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const n = d.Alerts.length;
  return (
    '<!DOCTYPE html>\n<html>\n<head><meta charset="UTF-8"><title>' +
    e(subject(d)) +
    '</title></head>\n<body style="font-family: sans-serif">\n' +
    `<h1>${n} alert${n > 1 ? 's' : ''} for ${e(group)}</h1>\n` +
    `<p><a href="${e(alertmanagerUrl(d))}">View in Kanshi</a></p>\n` +
    section('Firing', d.Alerts.Firing) +
    section('Resolved', d.Alerts.Resolved) +
    `<p><a href="${e(d.ExternalURL)}">Sent by Kanshi</a></p>\n</body>\n</html>\n`
  );
}

function alertmanagerUrl(d: TemplateData): string {
  return `${d.ExternalURL}/#/alerts?receiver=${queryEscape(d.Receiver)}`;
}

/** The named default templates, computed from the data (Alertmanager's template/default.tmpl). */
export const DEFAULT_TEMPLATES: ReadonlyMap<string, (d: TemplateData) => string> = new Map<
  string,
  (d: TemplateData) => string
>([
  ['__alertmanager', () => 'Alertmanager'],
  ['__alertmanagerURL', alertmanagerUrl],
  ['__subject', subject],
  ['__description', () => ''],
  ['__text_alert_list', (d) => textAlertList(d.Alerts)],
  ['slack.default.title', subject],
  ['slack.default.username', () => 'Alertmanager'],
  ['slack.default.fallback', (d) => `${subject(d)} | ${alertmanagerUrl(d)}`],
  ['slack.default.callbackid', () => ''],
  ['slack.default.pretext', () => ''],
  ['slack.default.titlelink', alertmanagerUrl],
  ['slack.default.iconemoji', () => ''],
  ['slack.default.iconurl', () => ''],
  ['slack.default.text', () => ''],
  ['slack.default.footer', () => ''],
  ['email.default.subject', subject],
  ['email.default.html', emailHtml],
  ['msteams.default.title', subject],
  ['msteams.default.summary', subject],
  ['msteams.default.text', (d) => firingResolvedText(d, '# ', markdownAlertList)],
  ['discord.default.title', subject],
  ['discord.default.message', (d) => firingResolvedText(d, '', textAlertList)],
]);
