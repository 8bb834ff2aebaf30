import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../router.js';

/** A page not built yet: what it will show, and a way to Explore meanwhile. */
export function ComingSoonPage({ title, what }: { title: MessageKey; what: MessageKey }) {
  const { t } = useI18n();
  return (
    <>
      <header className="page-head">
        <h1>{t(title)}</h1>
      </header>
      <div className="soon" data-placeholder="coming-soon">
        <h2>{t('soon.title', { page: t(title) })}</h2>
        <p>{t(what)}</p>
        <p>
          {t('soon.body')} <Link to="/explore">{t('nav.explore')} →</Link>
        </p>
      </div>
    </>
  );
}

/** No page at this path. */
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
