import { fetchChecks, queryVector } from '../api/prom.js';
import { StatusBadge } from '../components/status-badge.js';
import { useI18n } from '../i18n/i18n-context.js';
import { buildHosts, HOST_QUERIES, type HostReason, type HostSummary } from '../lib/hosts.js';
import { formatValue } from '../lib/units.js';
import { Link } from '../router.js';
import { useAsync, type AsyncState } from '../use-async.js';

/** How often the overview and host list reload, ms. */
export const LIVE_REFRESH_MS = 15_000;

/** Loads the host list (see lib/hosts.ts) and refreshes it live. */
export function useHosts(): AsyncState<HostSummary[]> {
  return useAsync(
    async (signal) => {
      const [up, load1, seen, cpu, memory, cores, checks] = await Promise.all([
        queryVector(HOST_QUERIES.up, signal),
        queryVector(HOST_QUERIES.load1, signal),
        queryVector(HOST_QUERIES.seen, signal),
        queryVector(HOST_QUERIES.cpu, signal),
        queryVector(HOST_QUERIES.memory, signal),
        queryVector(HOST_QUERIES.cores, signal),
        fetchChecks(undefined, signal),
      ]);
      return buildHosts({ up, load1, seen, cpu, memory, cores, checks });
    },
    'hosts',
    { refreshMs: LIVE_REFRESH_MS },
  );
}

/** Encodes a host name for its page's path. */
export function hostPath(name: string): string {
  return `/hosts/${encodeURIComponent(name)}`;
}

function Reason({ reason }: { reason: HostReason }) {
  const { t } = useI18n();
  switch (reason.kind) {
    case 'targetDown':
      return <>{t('hosts.targetDown', { job: reason.job })}</>;
    case 'noMetrics':
      return <>{t('hosts.noMetrics')}</>;
    case 'check':
      return (
        <>
          {reason.check}: {t(`status.${reason.status}`)}
        </>
      );
  }
}

/** The table of hosts: status, CPU, memory, load against cores, checks. */
export function HostTable({ hosts }: { hosts: readonly HostSummary[] }) {
  const { t, formatNumber } = useI18n();
  if (hosts.length === 0) return <p className="empty">{t('overview.noHosts')}</p>;
  return (
    <div className="table-wrap">
      <table className="hosts">
        <thead>
          <tr>
            <th scope="col">{t('hosts.host')}</th>
            <th scope="col">{t('hosts.status')}</th>
            <th scope="col" className="num">
              {t('hosts.cpu')}
            </th>
            <th scope="col" className="num">
              {t('hosts.memory')}
            </th>
            <th scope="col" className="num">
              {t('hosts.load')}
            </th>
            <th scope="col">{t('hosts.checks')}</th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => (
            <tr key={h.name} data-host={h.name}>
              <th scope="row">
                <Link to={hostPath(h.name)}>{h.name}</Link>
              </th>
              <td>
                <StatusBadge status={h.status} />
                {h.reasons.length > 0 && (
                  <ul className="reasons">
                    {h.reasons.slice(0, 3).map((r, i) => (
                      <li key={i}>
                        <Reason reason={r} />
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td className="num">{h.cpuRatio === undefined ? '—' : formatValue(h.cpuRatio, 'percent')}</td>
              <td className="num">
                {h.memoryRatio === undefined ? '—' : formatValue(h.memoryRatio, 'percent')}
              </td>
              <td className="num">
                {h.load1 === undefined ? '—' : formatNumber(h.load1, { maximumFractionDigits: 2 })}
                {h.cores !== undefined && <span className="muted"> / {h.cores}</span>}
              </td>
              <td>
                {h.checksTotal === 0
                  ? '—'
                  : t('hosts.checksSummary', { ok: h.checksOk, total: h.checksTotal })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
