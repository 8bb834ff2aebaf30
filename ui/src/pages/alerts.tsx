import { useState } from 'react';
import {
  createSilence,
  deleteMaintenanceWindow,
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
} from '../lib/alerts.js';
import { useAsync } from '../use-async.js';
import { LIVE_REFRESH_MS } from './host-table.js';
import { MaintenanceForm } from './maintenance-form.js';
import { MatcherEditor, toRows, type MatcherRow } from './matcher-editor.js';
import {
  errorText,
  ListTable,
  LivePageHead,
  LoadedSection,
  Problem,
  saveAuthor,
  savedAuthor,
  SignedForm,
  useFormAction,
} from './page-parts.js';

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
  const [rows, setRows] = useState<MatcherRow[]>(() => toRows(matchersFromLabels(labels)));
  const [duration, setDuration] = useState('2h');
  const author = useState(savedAuthor);
  const comment = useState('');
  const action = useFormAction();
  const durationMs = parseDurationMs(duration);

  const submit = (): void => {
    const matchers = rows.filter((r) => r.name.trim() !== '');
    if (matchers.length === 0) return action.setProblem(t('silence.needMatcher'));
    if (durationMs === undefined) return action.setProblem(t('silence.badDuration'));
    const [by, why] = [author[0].trim(), comment[0].trim()];
    if (by === '' || why === '') return action.setProblem(t('silence.needAuthor'));
    const now = Date.now();
    saveAuthor(by);
    action.run(
      () =>
        createSilence({
          matchers: matchers.map(({ name, value, isRegex, isEqual }) => ({
            name: name.trim(),
            value,
            isRegex,
            isEqual,
          })),
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(now + durationMs).toISOString(),
          createdBy: by,
          comment: why,
        }),
      onDone,
    );
  };

  return (
    <SignedForm
      id="silence-form"
      title={t('silence.new')}
      submitLabel={t('silence.create')}
      action={action}
      author={author}
      comment={comment}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <MatcherEditor rows={rows} onChange={setRows} />
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
    </SignedForm>
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
      <Problem message={problem} />
      <ListTable
        className="silences"
        columns={[
          t('silences.state'),
          t('silence.matchers'),
          t('silences.starts'),
          t('silences.endsAt'),
          t('silences.createdBy'),
          t('silence.comment'),
        ]}
        actionLabel={t('silences.expire')}
      >
        {sortSilences(silences).map((s) => (
          <tr key={s.id} data-silence={s.id} data-state={s.status.state}>
            <td>
              <span className={`badge silence-${s.status.state}`}>{t(SILENCE_STATE[s.status.state])}</span>
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
                      setProblem(t('silence.failed', { message: errorText(err) })),
                    );
                  }}
                >
                  {t('silences.expire')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
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

function MaintenanceTable({
  windows,
  onDeleted,
}: {
  windows: readonly MaintenanceWindow[];
  onDeleted: (id: string) => void;
}) {
  const { t, formatDateTime } = useI18n();
  const [problem, setProblem] = useState<string | undefined>();
  if (windows.length === 0) return <p className="empty">{t('maintenance.none')}</p>;
  return (
    <>
      <Problem message={problem} />
      <ListTable
        className="maintenance"
        columns={[
          t('silences.state'),
          t('silence.matchers'),
          t('maintenance.recurrence'),
          t('maintenance.duration'),
          t('maintenance.next'),
          t('silence.comment'),
        ]}
        actionLabel={t('maintenance.delete')}
      >
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
            <td>
              <button
                type="button"
                onClick={() => {
                  deleteMaintenanceWindow(w.id).then(
                    () => onDeleted(w.id),
                    (err: unknown) => setProblem(t('silence.failed', { message: errorText(err) })),
                  );
                }}
              >
                {t('maintenance.delete')}
              </button>
            </td>
          </tr>
        ))}
      </ListTable>
    </>
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
  const [isWindowFormOpen, setWindowFormOpen] = useState(false);
  const [notice, setNotice] = useState<{ key: MessageKey; id: string; testId: string } | undefined>();
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
    setNotice(undefined);
    setSilenceFor(labels);
  };
  const done = (key: MessageKey, id: string, testId: string): void => {
    setNotice({ key, id, testId });
    reloadAll();
  };
  return (
    <>
      <LivePageHead title={t('alerts.title')} state={alerts} onRefresh={reloadAll} />
      {notice !== undefined && (
        <p className="notice" role="status" data-testid={notice.testId}>
          {t(notice.key, { id: notice.id })}
        </p>
      )}
      {silenceFor !== undefined && (
        <SilenceForm
          key={JSON.stringify(silenceFor)}
          labels={silenceFor}
          onCancel={() => setSilenceFor(undefined)}
          onDone={(id) => {
            setSilenceFor(undefined);
            done('silence.created', id, 'silence-created');
          }}
        />
      )}
      <LoadedSection id="al-active" title={t('alerts.active')} state={alerts}>
        {(d) => <AlertGroups groups={d.groups} onSilence={openForm} />}
      </LoadedSection>
      <LoadedSection id="al-pending" title={t('alerts.pending')} state={alerts}>
        {(d) => <PendingAlerts alerts={d.ruleAlerts} />}
      </LoadedSection>
      <LoadedSection id="al-silences" title={t('silences.title')} state={silences}>
        {(d) => <SilenceTable silences={d} onChange={reloadAll} />}
      </LoadedSection>
      <LoadedSection
        id="al-maintenance"
        title={t('maintenance.title')}
        state={windows}
        actions={
          <button
            type="button"
            aria-expanded={isWindowFormOpen}
            onClick={() => {
              setNotice(undefined);
              setWindowFormOpen((o) => !o);
            }}
          >
            {t('maintenance.add')}
          </button>
        }
      >
        {(d) => (
          <>
            {isWindowFormOpen && (
              <MaintenanceForm
                onCancel={() => setWindowFormOpen(false)}
                onDone={(w) => {
                  setWindowFormOpen(false);
                  done('maintenance.created', w.id, 'maintenance-created');
                }}
              />
            )}
            <MaintenanceTable
              windows={d}
              onDeleted={(id) => done('maintenance.deleted', id, 'maintenance-deleted')}
            />
          </>
        )}
      </LoadedSection>
      <LoadedSection id="al-rules" title={t('rules.title')} state={rules}>
        {(d) => <RulesTable groups={d} />}
      </LoadedSection>
    </>
  );
}
