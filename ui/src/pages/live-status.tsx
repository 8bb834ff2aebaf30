import { useI18n } from '../i18n/i18n-context.js';

/** "Updated 12:00:03 · live refresh every 15 s" with a refresh button. */
export function LiveStatus({
  updatedAt,
  refreshMs,
  onRefresh,
  isLoading,
}: {
  updatedAt: number | undefined;
  refreshMs: number;
  onRefresh: () => void;
  isLoading: boolean;
}) {
  const { t, lang } = useI18n();
  return (
    <p className="live muted" aria-live="polite">
      {updatedAt !== undefined &&
        t('common.updated', {
          time: new Date(updatedAt).toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-US'),
        })}
      {' · '}
      {t('common.live', { seconds: refreshMs / 1000 })}{' '}
      <button type="button" onClick={onRefresh} disabled={isLoading}>
        {t('common.refresh')}
      </button>
    </p>
  );
}
