import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n-context.js';
import type { AsyncState } from '../use-async.js';

/**
 * Renders `children(data)` once data is there, a loading line before, and the error with a retry
 * button when the last load failed (keeping the previous data visible under it).
 */
export function AsyncView<T>({
  state,
  children,
}: {
  state: AsyncState<T>;
  children: (data: T) => ReactNode;
}) {
  const { t } = useI18n();
  return (
    <>
      {state.error && (
        <p className="error" role="alert">
          {t('common.error', { message: state.error.message })}{' '}
          <button type="button" onClick={state.reload}>
            {t('common.retry')}
          </button>
        </p>
      )}
      {state.data !== undefined
        ? children(state.data)
        : !state.error && <p className="muted">{t('common.loading')}</p>}
    </>
  );
}
