/**
 * Pure logic of the Alerts and Checks pages: silence matchers from an alert's labels, the
 * silence duration field ("2h", "1d12h"), grouping pending alerts, and availability as text.
 */

/** A silence matcher as Alertmanager API v2 takes it. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  /** false for `!=` / `!~`. */
  readonly isEqual: boolean;
}

/** Matchers equal to every label of `labels`, sorted by name with `alertname` first. */
export function matchersFromLabels(labels: Readonly<Record<string, string>>): SilenceMatcher[] {
  return Object.entries(labels)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

/** The operator of a matcher: `=`, `!=`, `=~` or `!~`. */
export function matcherOperator(m: SilenceMatcher): string {
  if (m.isEqual) return m.isRegex ? '=~' : '=';
  return m.isRegex ? '!~' : '!=';
}

/** A matcher as text: `name="value"` with the value quoted as JSON. */
export function formatMatcher(m: SilenceMatcher): string {
  return `${m.name}${matcherOperator(m)}${JSON.stringify(m.value)}`;
}

const UNIT_MS: Record<string, number> = {
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
};

/**
 * A duration as the silence form takes it, in ms: units w, d, h, m, s, largest first, each once
 * (`2h`, `1d12h`, `90m`). `undefined` for anything else, or zero.
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const re = /(\d+)([wdhms])/gy;
  let total = 0;
  let last = Infinity;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const unit = UNIT_MS[m[2] ?? ''] ?? 0;
    if (unit >= last) return undefined;
    last = unit;
    total += Number(m[1]) * unit;
    end = re.lastIndex;
  }
  if (end !== s.length || total <= 0 || !Number.isSafeInteger(total)) return undefined;
  return total;
}

/** ms as the largest units that divide it, e.g. 93_600_000 → `1d2h`; `0s` for 0. */
export function formatDurationMs(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000) * 1000);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    if (unit === 'w') continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** An alert as `/api/v1/alerts` lists it (rules' view, with pending ones). */
export interface RuleAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: 'firing' | 'pending' | 'inactive';
  readonly activeAt?: string;
  readonly value?: string;
}

/** Pending alerts of one alert name. */
export interface PendingGroup {
  readonly alertname: string;
  readonly alerts: readonly RuleAlert[];
}

/** The pending alerts of `alerts`, grouped by alertname (sorted), oldest activeAt first in a group. */
export function groupPending(alerts: readonly RuleAlert[]): PendingGroup[] {
  const byName = new Map<string, RuleAlert[]>();
  for (const a of alerts) {
    if (a.state !== 'pending') continue;
    const name = a.labels.alertname ?? '';
    const list = byName.get(name);
    if (list) list.push(a);
    else byName.set(name, [a]);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([alertname, list]) => ({
      alertname,
      alerts: list.sort((a, b) => (a.activeAt ?? '').localeCompare(b.activeAt ?? '')),
    }));
}

/** A group's labels as `k="v"` text, for a heading; `''` when it has none (one group for all). */
export function groupTitle(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.join(', ');
}

/** A silence's state as API v2 reports it. */
export type SilenceState = 'active' | 'pending' | 'expired';

const STATE_ORDER: Record<SilenceState, number> = { active: 0, pending: 1, expired: 2 };

/** Silences sorted active first, then pending, then expired; within a state, latest end first. */
export function sortSilences<T extends { status: { state: SilenceState }; endsAt: string }>(
  silences: readonly T[],
): T[] {
  return [...silences].sort(
    (a, b) => STATE_ORDER[a.status.state] - STATE_ORDER[b.status.state] || b.endsAt.localeCompare(a.endsAt),
  );
}

/** An availability ratio (0…1) as a percentage with 2 decimals (`99.95 %`), `–` for null. */
export function formatRatio(
  ratio: number | null | undefined,
  formatNumber: (n: number, o: Intl.NumberFormatOptions) => string,
): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  // Floor, so a check that was down at all never reads 100 %.
  const pct = Math.floor(ratio * 10_000) / 100;
  return `${formatNumber(pct, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} %`;
}
