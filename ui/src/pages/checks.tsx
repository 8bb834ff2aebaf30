import { useState } from 'react';
import {
  actOnMonitorAlert,
  fetchAvailability,
  fetchMonitorAlerts,
  type CheckAvailability,
  type MonitorAlert,
} from '../api/alerting.js';
import { fetchChecks, type CheckResult } from '../api/prom.js';
import { StatusBadge } from '../components/status-badge.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatRatio } from '../lib/alerts.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { hostPath, LIVE_REFRESH_MS } from './host-table.js';
import {
  errorText,
  ListTable,
  LivePageHead,
  LoadedSection,
  Problem,
  saveAuthor,
  savedAuthor,
} from './page-parts.js';

/** The availability windows the board shows, as the availability API names them. */
const WINDOWS = ['24h', '7d', '30d'] as const;

function keyOf(host: string, check: string): string {
  return `${host}\u0000${check}`;
}

function StatusBoard({
  checks,
  availability,
}: {
  checks: readonly CheckResult[];
  availability: readonly CheckAvailability[];
}) {
  const { t, formatAgo, formatDateTime, formatNumber } = useI18n();
  if (checks.length === 0) return <p className="empty">{t('checks.none')}</p>;
  const byKey = new Map(availability.map((a) => [keyOf(a.host, a.check), a]));
  const rows = [...checks].sort((a, b) => a.host.localeCompare(b.host) || a.check.localeCompare(b.check));
  const now = Date.now();
  return (
    <div className="table-wrap">
      <table className="checks board">
        <thead>
          <tr>
            <th scope="col">{t('check.host')}</th>
            <th scope="col">{t('check.name')}</th>
            <th scope="col">{t('check.status')}</th>
            <th scope="col">{t('check.message')}</th>
            <th scope="col">{t('checks.since')}</th>
            {WINDOWS.map((w) => (
              <th key={w} scope="col" className="num">
                {t('checks.availability', { window: w })}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => {
            const a = byKey.get(keyOf(c.host, c.check));
            return (
              <tr key={keyOf(c.host, c.check)} data-host={c.host} data-check={c.check}>
                <td>
                  <Link to={hostPath(c.host)}>{c.host}</Link>
                </td>
                <th scope="row">{c.check}</th>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td className="message">{c.message}</td>
                <td>
                  <time dateTime={new Date(c.started_at).toISOString()} title={formatDateTime(c.started_at)}>
                    {formatAgo(c.started_at, now)}
                  </time>
                </td>
                {WINDOWS.map((w) => (
                  <td key={w} className="num" data-window={w}>
                    {formatRatio(a?.windows[w]?.ratio, formatNumber)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function MonitorAlerts({ alerts, onChange }: { alerts: readonly MonitorAlert[]; onChange: () => void }) {
  const { t, formatAgo, formatDateTime } = useI18n();
  const [by, setBy] = useState(savedAuthor);
  const [problem, setProblem] = useState<string | undefined>();
  if (alerts.length === 0) return <p className="empty ok">{t('checks.noMonitorAlerts')}</p>;
  const now = Date.now();
  const act = (id: string, action: 'acknowledge' | 'close'): void => {
    if (by.trim() === '') return setProblem(t('checks.needBy'));
    setProblem(undefined);
    saveAuthor(by.trim());
    actOnMonitorAlert(id, action, by.trim(), '').then(onChange, (err: unknown) =>
      setProblem(t('silence.failed', { message: errorText(err) })),
    );
  };
  return (
    <>
      <label>
        {t('checks.by')} <input value={by} onChange={(e) => setBy(e.target.value)} autoComplete="name" />
      </label>
      <Problem message={problem} />
      <ListTable
        className="monitor-alerts"
        columns={[
          t('check.host'),
          t('check.name'),
          t('checks.severity'),
          t('check.message'),
          t('checks.opened'),
        ]}
        actionLabel={t('checks.acknowledge')}
      >
        {alerts.map((a) => (
          <tr key={a.id} data-monitor-alert={a.id}>
            <td>{a.host}</td>
            <td>{a.check ?? a.labels.alertname ?? ''}</td>
            <td>
              <span className="tag">{a.severity}</span>
            </td>
            <td className="message">{a.annotations.message ?? a.annotations.summary ?? ''}</td>
            <td>
              <time dateTime={new Date(a.opened_at).toISOString()} title={formatDateTime(a.opened_at)}>
                {formatAgo(a.opened_at, now)}
              </time>
            </td>
            <td>
              {a.acknowledged !== null ? (
                <span className="muted small">{t('checks.acknowledged', { by: a.acknowledged.by })}</span>
              ) : (
                <button type="button" onClick={() => act(a.id, 'acknowledge')}>
                  {t('checks.acknowledge')}
                </button>
              )}{' '}
              {a.source === 'check' && (
                <button type="button" onClick={() => act(a.id, 'close')}>
                  {t('checks.close')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
    </>
  );
}

/** The Checks page: a status board of every check with availability, and open check alerts. */
export default function ChecksPage() {
  const { t } = useI18n();
  const state = useAsync(
    async (signal) => {
      const [checks, availability, monitorAlerts] = await Promise.all([
        fetchChecks(undefined, signal),
        fetchAvailability(WINDOWS, signal),
        fetchMonitorAlerts(signal),
      ]);
      return { checks, availability, monitorAlerts };
    },
    'checks',
    { refreshMs: LIVE_REFRESH_MS },
  );
  return (
    <>
      <LivePageHead title={t('checks.title')} state={state} />
      <LoadedSection id="ck-board" title={t('checks.board')} state={state}>
        {(d) => <StatusBoard checks={d.checks} availability={d.availability} />}
      </LoadedSection>
      <LoadedSection id="ck-alerts" title={t('checks.monitorAlerts')} state={state}>
        {(d) => <MonitorAlerts alerts={d.monitorAlerts} onChange={state.reload} />}
      </LoadedSection>
    </>
  );
}
