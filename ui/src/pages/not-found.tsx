import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../router.js';

/** No page at this path: says so and links home. */
export function NotFoundPage({ path }: { path: string }) {
  const { t } = useI18n();
  return (
    <>
      <header className="page-head">
        <h1>{t('notFound.title')}</h1>
      </header>
      <p>{t('notFound.body', { path })}</p>
      <p>
        <Link to="/">{t('notFound.home')}</Link>
      </p>
    </>
  );
}
