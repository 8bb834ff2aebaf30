import { fetchAlerts, fetchChecks, type Alert, type CheckResult } from '../api/prom.js';
import { AsyncView } from '../components/async-view.js';
import { StatusBadge } from '../components/status-badge.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { HostTable, hostPath, LIVE_REFRESH_MS, useHosts } from './host-table.js';
import { LiveStatus } from './live-status.js';

/** Checks that are not OK, worst first. */
export function ChecksTable({ checks, showHost }: { checks: readonly CheckResult[]; showHost: boolean }) {
  const { t, formatAgo, formatDateTime } = useI18n();
  const now = Date.now();
  return (
    <div className="table-wrap">
      <table className="checks">
        <thead>
          <tr>
            {showHost && <th scope="col">{t('check.host')}</th>}
            <th scope="col">{t('check.name')}</th>
            <th scope="col">{t('check.status')}</th>
            <th scope="col">{t('check.message')}</th>
            {!showHost && <th scope="col">{t('check.perfdata')}</th>}
            <th scope="col">{t('check.lastRun')}</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={`${c.host}\u0000${c.check}`} data-check={c.check}>
              {showHost && (
                <td>
                  <Link to={hostPath(c.host)}>{c.host}</Link>
                </td>
              )}
              <th scope="row">{c.check}</th>
              <td>
                <StatusBadge status={c.status} />
              </td>
              <td className="message">
                {c.message}
                {c.long_output !== '' && (
                  <details>
                    <summary className="sr-only-summary">…</summary>
                    <pre>{c.long_output}</pre>
                  </details>
                )}
              </td>
              {!showHost && (
                <td className="perfdata">
                  {c.perfdata.map((p) => (
                    <span key={p.label}>
                      {p.label}={p.value}
                      {p.unit}
                      {p.warn !== undefined && <span className="muted">;{p.warn}</span>}
                      {p.crit !== undefined && <span className="muted">;{p.crit}</span>}{' '}
                    </span>
                  ))}
                </td>
              )}
              <td>
                <time dateTime={new Date(c.started_at).toISOString()} title={formatDateTime(c.started_at)}>
                  {formatAgo(c.started_at, now)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const SEVERITY: Record<string, number> = { CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3 };

function AlertList({ alerts }: { alerts: readonly Alert[] | null }) {
  const { t, formatAgo } = useI18n();
  if (alerts === null) return <p className="empty">{t('common.notAvailable')}</p>;
  const firing = alerts.filter((a) => a.state === 'firing');
  if (firing.length === 0) return <p className="empty">{t('overview.noFiring')}</p>;
  const now = Date.now();
  return (
    <ul className="alerts">
      {firing.map((a, i) => (
        <li key={i}>
          <strong>{a.labels.alertname ?? '?'}</strong>{' '}
          {a.labels.severity !== undefined && <span className="tag">{a.labels.severity}</span>}{' '}
          {a.annotations.summary ?? a.annotations.description ?? ''}
          {a.activeAt !== undefined && (
            <span className="muted"> · {formatAgo(Date.parse(a.activeAt), now)}</span>
          )}
          <div className="labels muted">
            {Object.entries(a.labels)
              .filter(([k]) => k !== 'alertname')
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The overview: hosts with status, firing alerts, checks not OK; refreshed live. */
export function OverviewPage() {
  const { t } = useI18n();
  const hosts = useHosts();
  const extra = useAsync(
    async (signal) => {
      const [checks, alerts] = await Promise.all([fetchChecks(undefined, signal), fetchAlerts(signal)]);
      return { checks, alerts };
    },
    'overview',
    { refreshMs: LIVE_REFRESH_MS },
  );
  const problems = hosts.data?.filter((h) => h.status !== 'OK').length ?? 0;
  return (
    <>
      <header className="page-head">
        <h1>{t('overview.title')}</h1>
        <LiveStatus
          updatedAt={hosts.updatedAt}
          refreshMs={LIVE_REFRESH_MS}
          isLoading={hosts.isLoading}
          onRefresh={() => {
            hosts.reload();
            extra.reload();
          }}
        />
      </header>
      <section aria-labelledby="ov-hosts">
        <h2 id="ov-hosts">
          {t('overview.hosts')}
          {hosts.data && hosts.data.length > 0 && (
            <span className="muted small">
              {' '}
              · {t('overview.summary', { hosts: hosts.data.length, problems })}
            </span>
          )}
        </h2>
        <AsyncView state={hosts}>{(data) => <HostTable hosts={data} />}</AsyncView>
      </section>
      <div className="two-col">
        <section aria-labelledby="ov-alerts">
          <h2 id="ov-alerts">{t('overview.firing')}</h2>
          <AsyncView state={extra}>{(d) => <AlertList alerts={d.alerts} />}</AsyncView>
        </section>
        <section aria-labelledby="ov-checks">
          <h2 id="ov-checks">{t('overview.checksNotOk')}</h2>
          <AsyncView state={extra}>
            {(d) => {
              if (d.checks.length === 0) return <p className="empty">{t('overview.noChecks')}</p>;
              const bad = d.checks
                .filter((c) => c.status !== 'OK')
                .sort(
                  (a, b) =>
                    (SEVERITY[a.status] ?? 9) - (SEVERITY[b.status] ?? 9) || a.host.localeCompare(b.host),
                );
              return bad.length === 0 ? (
                <p className="empty ok">{t('overview.allChecksOk')}</p>
              ) : (
                <ChecksTable checks={bad} showHost />
              );
            }}
          </AsyncView>
        </section>
      </div>
    </>
  );
}

/** The host list page. */
export function HostsPage() {
  const { t } = useI18n();
  const hosts = useHosts();
  return (
    <>
      <header className="page-head">
        <h1>{t('hosts.title')}</h1>
        <LiveStatus
          updatedAt={hosts.updatedAt}
          refreshMs={LIVE_REFRESH_MS}
          isLoading={hosts.isLoading}
          onRefresh={hosts.reload}
        />
      </header>
      <AsyncView state={hosts}>{(data) => <HostTable hosts={data} />}</AsyncView>
    </>
  );
}
