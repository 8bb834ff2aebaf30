import { useState, type FormEvent } from 'react';
import {
  createSilence,
  expireSilence,
  fetchAlertGroups,
  fetchMaintenanceWindows,
  fetchRuleAlerts,
  fetchRules,
  fetchSilences,
  fetchTimeline,
  type AmAlert,
  type AmAlertGroup,
  type MaintenanceWindow,
  type RuleGroup,
  type Silence,
} from '../api/alerting.js';
import { ApiError, type Metric } from '../api/prom.js';
import { AsyncView } from '../components/async-view.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/i18n-context.js';
import {
  formatDurationMs,
  formatMatcher,
  groupPending,
  groupTitle,
  matchersFromLabels,
  parseDurationMs,
  sortSilences,
  type RuleAlert,
  type SilenceMatcher,
} from '../lib/alerts.js';
import { useAsync } from '../use-async.js';
import { LIVE_REFRESH_MS } from './host-table.js';
import { LiveStatus } from './live-status.js';

const AUTHOR_KEY = 'kanshi.author';

function savedAuthor(): string {
  try {
    return localStorage.getItem(AUTHOR_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveAuthor(author: string): void {
  try {
    localStorage.setItem(AUTHOR_KEY, author);
  } catch {
    // Private mode: not remembered.
  }
}

function Time({ iso }: { iso: string }) {
  const { formatAgo, formatDateTime } = useI18n();
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return <span>–</span>;
  return (
    <time dateTime={iso} title={formatDateTime(ms)}>
      {formatAgo(ms, Date.now())}
    </time>
  );
}

function LabelList({ labels, skip }: { labels: Metric; skip?: string }) {
  return (
    <span className="labels">
      {Object.entries(labels)
        .filter(([k]) => k !== skip)
        .map(([k, v]) => (
          <span key={k} className="tag">
            {k}={v}
          </span>
        ))}
    </span>
  );
}

function Annotations({ annotations }: { annotations: Metric }) {
  const entries = Object.entries(annotations);
  if (entries.length === 0) return null;
  return (
    <dl className="annotations">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The recorded events of one alert, loaded when shown. */
function Timeline({ fingerprint }: { fingerprint: string }) {
  const { t, formatDateTime } = useI18n();
  const state = useAsync(async (signal) => {
    try {
      return await fetchTimeline(fingerprint, signal);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    }
  }, `timeline:${fingerprint}`);
  return (
    <AsyncView state={state}>
      {(events) =>
        events.length === 0 ? (
          <p className="empty">{t('alerts.noTimeline')}</p>
        ) : (
          <ol className="timeline" data-testid="timeline">
            {events.map((e, i) => (
              <li key={i}>
                <time dateTime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time>{' '}
                <strong>{e.kind}</strong>
                {e.detail !== undefined && <span className="muted"> {JSON.stringify(e.detail)}</span>}
              </li>
            ))}
          </ol>
        )
      }
    </AsyncView>
  );
}

const ALERT_STATE: Record<AmAlert['status']['state'], MessageKey> = {
  active: 'alerts.stateActive',
  suppressed: 'alerts.stateSuppressed',
  unprocessed: 'alerts.stateUnprocessed',
};

function AlertItem({ alert, onSilence }: { alert: AmAlert; onSilence: (labels: Metric) => void }) {
  const { t } = useI18n();
  const [isTimelineOpen, setTimelineOpen] = useState(false);
  const s = alert.status;
  return (
    <li data-alert={alert.labels.alertname ?? ''} data-state={s.state} data-fingerprint={alert.fingerprint}>
      <div className="alert-head">
        <strong>{alert.labels.alertname ?? '?'}</strong>{' '}
        <span className={`badge alert-${s.state}`}>{t(ALERT_STATE[s.state])}</span>{' '}
        <span className="muted">
          {t('alert.since')} <Time iso={alert.startsAt} />
        </span>{' '}
        <button type="button" onClick={() => onSilence(alert.labels)}>
          {t('alerts.silence')}
        </button>{' '}
        <button type="button" aria-expanded={isTimelineOpen} onClick={() => setTimelineOpen((o) => !o)}>
          {t('alerts.timeline')}
        </button>
      </div>
      <LabelList labels={alert.labels} skip="alertname" />
      <Annotations annotations={alert.annotations} />
      {s.silencedBy.length > 0 && (
        <p className="muted small">{t('alerts.silencedBy', { ids: s.silencedBy.join(', ') })}</p>
      )}
      {s.inhibitedBy.length > 0 && (
        <p className="muted small">{t('alerts.inhibitedBy', { ids: s.inhibitedBy.join(', ') })}</p>
      )}
      {s.mutedBy !== undefined && s.mutedBy.length > 0 && (
        <p className="muted small">{t('alerts.mutedBy', { ids: s.mutedBy.join(', ') })}</p>
      )}
      {isTimelineOpen && <Timeline fingerprint={alert.fingerprint} />}
    </li>
  );
}

function AlertGroups({
  groups,
  onSilence,
}: {
  groups: readonly AmAlertGroup[];
  onSilence: (labels: Metric) => void;
}) {
  const { t } = useI18n();
  const nonEmpty = groups.filter((g) => g.alerts.length > 0);
  if (nonEmpty.length === 0) return <p className="empty ok">{t('alerts.noActive')}</p>;
  return (
    <>
      {nonEmpty.map((g, i) => (
        <section key={i} className="alert-group">
          <h3 className="small">
            {t('alerts.group', {
              labels: groupTitle(g.labels) || t('alerts.groupAll'),
              receiver: g.receiver.name,
            })}
          </h3>
          <ul className="alerts">
            {g.alerts.map((a) => (
              <AlertItem key={a.fingerprint} alert={a} onSilence={onSilence} />
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function PendingAlerts({ alerts }: { alerts: readonly RuleAlert[] }) {
  const { t } = useI18n();
  const groups = groupPending(alerts);
  if (groups.length === 0) return <p className="empty">{t('alerts.noPending')}</p>;
  return (
    <ul className="alerts">
      {groups.flatMap((g) =>
        g.alerts.map((a, i) => (
          <li key={`${g.alertname}:${i}`} data-alert={g.alertname} data-state="pending">
            <strong>{g.alertname}</strong>{' '}
            {a.activeAt !== undefined && (
              <span className="muted">
                <Time iso={a.activeAt} />
              </span>
            )}
            <LabelList labels={a.labels} skip="alertname" />
            <Annotations annotations={a.annotations} />
          </li>
        )),
      )}
    </ul>
  );
}

interface MatcherRow extends SilenceMatcher {
  readonly key: number;
}

const OPERATORS = ['=', '!=', '=~', '!~'] as const;

function operatorOf(m: SilenceMatcher): (typeof OPERATORS)[number] {
  if (m.isEqual) return m.isRegex ? '=~' : '=';
  return m.isRegex ? '!~' : '!=';
}

/** The silence form, prefilled with `labels` as equality matchers. */
function SilenceForm({
  labels,
  onDone,
  onCancel,
}: {
  labels: Metric;
  onDone: (id: string) => void;
  onCancel: () => void;
}) {
  const { t, formatDateTime } = useI18n();
  const [rows, setRows] = useState<MatcherRow[]>(() =>
    matchersFromLabels(labels).map((m, i) => ({ ...m, key: i })),
  );
  const [duration, setDuration] = useState('2h');
  const [author, setAuthor] = useState(savedAuthor);
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [isSaving, setSaving] = useState(false);
  const durationMs = parseDurationMs(duration);

  const update = (key: number, patch: Partial<SilenceMatcher>): void =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const matchers = rows.filter((r) => r.name.trim() !== '');
    if (matchers.length === 0) return setProblem(t('silence.needMatcher'));
    if (durationMs === undefined) return setProblem(t('silence.badDuration'));
    if (author.trim() === '' || comment.trim() === '') return setProblem(t('silence.needAuthor'));
    const now = Date.now();
    setSaving(true);
    setProblem(undefined);
    saveAuthor(author.trim());
    createSilence({
      matchers: matchers.map(({ name, value, isRegex, isEqual }) => ({
        name: name.trim(),
        value,
        isRegex,
        isEqual,
      })),
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + durationMs).toISOString(),
      createdBy: author.trim(),
      comment: comment.trim(),
    }).then(
      (id) => {
        setSaving(false);
        onDone(id);
      },
      (err: unknown) => {
        setSaving(false);
        setProblem(t('silence.failed', { message: err instanceof Error ? err.message : String(err) }));
      },
    );
  };

  return (
    <form
      className="silence-form"
      onSubmit={submit}
      aria-labelledby="silence-form-title"
      data-testid="silence-form"
    >
      <h2 id="silence-form-title">{t('silence.new')}</h2>
      <fieldset>
        <legend>{t('silence.matchers')}</legend>
        {rows.map((r) => (
          <div key={r.key} className="matcher-row" data-testid="matcher">
            <input
              aria-label={t('silence.name')}
              value={r.name}
              onChange={(e) => update(r.key, { name: e.target.value })}
            />
            <select
              aria-label={t('silence.operator')}
              value={operatorOf(r)}
              onChange={(e) =>
                update(r.key, {
                  isEqual: !e.target.value.startsWith('!'),
                  isRegex: e.target.value.endsWith('~'),
                })
              }
            >
              {OPERATORS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
            <input
              aria-label={t('silence.value')}
              value={r.value}
              onChange={(e) => update(r.key, { value: e.target.value })}
            />
            <button type="button" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}>
              {t('silence.remove')}
            </button>
          </div>
        ))}
        <button
          type="button"
          onClick={() =>
            setRows((rs) => [
              ...rs,
              {
                key: Math.max(-1, ...rs.map((x) => x.key)) + 1,
                name: '',
                value: '',
                isEqual: true,
                isRegex: false,
              },
            ])
          }
        >
          {t('silence.addMatcher')}
        </button>
      </fieldset>
      <label>
        {t('silence.duration')}
        <input
          name="duration"
          value={duration}
          onChange={(e) => setDuration(e.target.value)}
          aria-invalid={durationMs === undefined}
        />
        {durationMs !== undefined && (
          <span className="muted small">
            {' '}
            {t('silence.ends', { time: formatDateTime(Date.now() + durationMs) })} (
            {formatDurationMs(durationMs)})
          </span>
        )}
      </label>
      <label>
        {t('silence.author')}
        <input name="author" value={author} onChange={(e) => setAuthor(e.target.value)} autoComplete="name" />
      </label>
      <label>
        {t('silence.comment')}
        <textarea name="comment" value={comment} onChange={(e) => setComment(e.target.value)} rows={2} />
      </label>
      {problem !== undefined && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={isSaving}>
          {t('silence.create')}
        </button>{' '}
        <button type="button" onClick={onCancel}>
          {t('silence.cancel')}
        </button>
      </div>
    </form>
  );
}

const SILENCE_STATE: Record<Silence['status']['state'], MessageKey> = {
  active: 'silences.active',
  pending: 'silences.pending',
  expired: 'silences.expired',
};

function SilenceTable({ silences, onChange }: { silences: readonly Silence[]; onChange: () => void }) {
  const { t } = useI18n();
  const [problem, setProblem] = useState<string | undefined>();
  if (silences.length === 0) return <p className="empty">{t('silences.none')}</p>;
  return (
    <>
      {problem !== undefined && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <div className="table-wrap">
        <table className="silences">
          <thead>
            <tr>
              <th scope="col">{t('silences.state')}</th>
              <th scope="col">{t('silence.matchers')}</th>
              <th scope="col">{t('silences.starts')}</th>
              <th scope="col">{t('silences.endsAt')}</th>
              <th scope="col">{t('silences.createdBy')}</th>
              <th scope="col">{t('silence.comment')}</th>
              <th scope="col">
                <span className="sr-only">{t('silences.expire')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sortSilences(silences).map((s) => (
              <tr key={s.id} data-silence={s.id} data-state={s.status.state}>
                <td>
                  <span className={`badge silence-${s.status.state}`}>
                    {t(SILENCE_STATE[s.status.state])}
                  </span>
                </td>
                <td className="labels">
                  {s.matchers.map((m, i) => (
                    <span key={i} className="tag">
                      {formatMatcher(m)}
                    </span>
                  ))}
                </td>
                <td>
                  <Time iso={s.startsAt} />
                </td>
                <td>
                  <Time iso={s.endsAt} />
                </td>
                <td>{s.createdBy}</td>
                <td>{s.comment}</td>
                <td>
                  {s.status.state !== 'expired' && (
                    <button
                      type="button"
                      onClick={() => {
                        expireSilence(s.id).then(onChange, (err: unknown) =>
                          setProblem(
                            t('silence.failed', {
                              message: err instanceof Error ? err.message : String(err),
                            }),
                          ),
                        );
                      }}
                    >
                      {t('silences.expire')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function describeRecurrence(r: MaintenanceWindow['recurrence']): string {
  const { kind, ...rest } = r;
  const parts = Object.entries(rest).map(
    ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return parts.length === 0 ? kind : `${kind} (${parts.join(', ')})`;
}

function MaintenanceTable({ windows }: { windows: readonly MaintenanceWindow[] }) {
  const { t, formatDateTime } = useI18n();
  if (windows.length === 0) return <p className="empty">{t('maintenance.none')}</p>;
  return (
    <div className="table-wrap">
      <table className="maintenance">
        <thead>
          <tr>
            <th scope="col">{t('silences.state')}</th>
            <th scope="col">{t('silence.matchers')}</th>
            <th scope="col">{t('maintenance.recurrence')}</th>
            <th scope="col">{t('maintenance.duration')}</th>
            <th scope="col">{t('maintenance.next')}</th>
            <th scope="col">{t('silence.comment')}</th>
          </tr>
        </thead>
        <tbody>
          {windows.map((w) => (
            <tr key={w.id} data-window={w.id}>
              <td>
                {w.status.state === 'active'
                  ? t('maintenance.active', {
                      time: formatDateTime(Date.parse(w.status.activeUntil ?? '')),
                    })
                  : t(w.status.state === 'scheduled' ? 'maintenance.scheduled' : 'maintenance.expired')}
              </td>
              <td className="labels">
                {w.matchers.map((m, i) => (
                  <span key={i} className="tag">
                    {formatMatcher(m)}
                  </span>
                ))}
              </td>
              <td>
                {describeRecurrence(w.recurrence)} <span className="muted small">{w.timeZone}</span>
              </td>
              <td>{w.duration}</td>
              <td>
                <ul className="plain">
                  {w.nextWindows.map((n) => (
                    <li key={n.startsAt}>
                      <time dateTime={n.startsAt}>{formatDateTime(Date.parse(n.startsAt))}</time>
                    </li>
                  ))}
                </ul>
              </td>
              <td>{w.comment}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const RULE_STATE: Record<'firing' | 'pending' | 'inactive', MessageKey> = {
  firing: 'rules.firing',
  pending: 'rules.pending',
  inactive: 'rules.inactive',
};

function RulesTable({ groups }: { groups: readonly RuleGroup[] }) {
  const { t } = useI18n();
  if (groups.length === 0) return <p className="empty">{t('rules.none')}</p>;
  return (
    <>
      {groups.map((g) => (
        <div key={`${g.file}\u0000${g.name}`} className="table-wrap">
          <table className="rules">
            <caption>{t('rules.group', { name: g.name, file: g.file })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('rules.name')}</th>
                <th scope="col">{t('rules.state')}</th>
                <th scope="col">{t('rules.health')}</th>
                <th scope="col">{t('rules.lastEvaluation')}</th>
                <th scope="col">{t('rules.error')}</th>
              </tr>
            </thead>
            <tbody>
              {g.rules.map((r, i) => (
                <tr key={i} data-rule={r.name} data-state={r.state ?? 'recording'}>
                  <th scope="row">
                    {r.name}
                    <div className="muted small">
                      <code>{r.query}</code>
                    </div>
                  </th>
                  <td>{r.state === undefined ? t('rules.recording') : t(RULE_STATE[r.state])}</td>
                  <td>{r.health}</td>
                  <td>
                    <Time iso={r.lastEvaluation} />
                  </td>
                  <td className={r.lastError === undefined ? undefined : 'error'}>{r.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

/** The Alerts page: grouped firing and pending alerts, the silence form, silences, maintenance, rules. */
export default function AlertsPage() {
  const { t } = useI18n();
  const [silenceFor, setSilenceFor] = useState<Metric | undefined>();
  const [created, setCreated] = useState<string | undefined>();
  const live = { refreshMs: LIVE_REFRESH_MS };
  // One load per section, so an API that fails leaves the others readable.
  const alerts = useAsync(
    async (signal) => {
      const [groups, ruleAlerts] = await Promise.all([fetchAlertGroups(signal), fetchRuleAlerts(signal)]);
      return { groups, ruleAlerts };
    },
    'alerts',
    live,
  );
  const silences = useAsync((signal) => fetchSilences(signal), 'silences', live);
  const windows = useAsync((signal) => fetchMaintenanceWindows(3, signal), 'maintenance', live);
  const rules = useAsync((signal) => fetchRules(signal), 'rules', live);
  const reloadAll = (): void => {
    alerts.reload();
    silences.reload();
    windows.reload();
    rules.reload();
  };
  const openForm = (labels: Metric): void => {
    setCreated(undefined);
    setSilenceFor(labels);
  };
  return (
    <>
      <header className="page-head">
        <h1>{t('alerts.title')}</h1>
        <LiveStatus
          updatedAt={alerts.updatedAt}
          refreshMs={LIVE_REFRESH_MS}
          isLoading={alerts.isLoading}
          onRefresh={reloadAll}
        />
      </header>
      {created !== undefined && (
        <p className="notice" role="status" data-testid="silence-created">
          {t('silence.created', { id: created })}
        </p>
      )}
      {silenceFor !== undefined && (
        <SilenceForm
          key={JSON.stringify(silenceFor)}
          labels={silenceFor}
          onCancel={() => setSilenceFor(undefined)}
          onDone={(id) => {
            setSilenceFor(undefined);
            setCreated(id);
            reloadAll();
          }}
        />
      )}
      <section aria-labelledby="al-active">
        <h2 id="al-active">{t('alerts.active')}</h2>
        <AsyncView state={alerts}>{(d) => <AlertGroups groups={d.groups} onSilence={openForm} />}</AsyncView>
      </section>
      <section aria-labelledby="al-pending">
        <h2 id="al-pending">{t('alerts.pending')}</h2>
        <AsyncView state={alerts}>{(d) => <PendingAlerts alerts={d.ruleAlerts} />}</AsyncView>
      </section>
      <section aria-labelledby="al-silences">
        <h2 id="al-silences">{t('silences.title')}</h2>
        <AsyncView state={silences}>{(d) => <SilenceTable silences={d} onChange={reloadAll} />}</AsyncView>
      </section>
      <section aria-labelledby="al-maintenance">
        <h2 id="al-maintenance">{t('maintenance.title')}</h2>
        <AsyncView state={windows}>{(d) => <MaintenanceTable windows={d} />}</AsyncView>
      </section>
      <section aria-labelledby="al-rules">
        <h2 id="al-rules">{t('rules.title')}</h2>
        <AsyncView state={rules}>{(d) => <RulesTable groups={d} />}</AsyncView>
      </section>
    </>
  );
}
