import { useI18n } from '../i18n/i18n-context.js';
import type { HostStatus } from '../lib/hosts.js';

const ICON: Record<HostStatus, string> = {
  OK: '●',
  WARNING: '▲',
  CRITICAL: '✖',
  UNKNOWN: '?',
  unreachable: '◌',
};

/** A status as a coloured badge with a shape too, so it reads without colour (and in print). */
export function StatusBadge({ status }: { status: HostStatus }) {
  const { t } = useI18n();
  return (
    <span className={`badge status-${status}`} data-status={status}>
      <span aria-hidden="true">{ICON[status]}</span> {t(`status.${status}`)}
    </span>
  );
}
