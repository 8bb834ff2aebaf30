import { lazy, Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import type { MessageKey } from './i18n/en.js';
import { useI18n } from './i18n/i18n-context.js';
import { LANGS, isLang } from './i18n/i18n.js';
import { NotFoundPage } from './pages/not-found.js';
import { HostsPage, OverviewPage } from './pages/overview.js';
import { Link, useLocation } from './router.js';
import { useTheme, type ThemeChoice } from './theme.js';

// Pages with charts or the editor are separate chunks: the first load is the shell and overview.
const HostPage = lazy(() => import('./pages/host.js'));
const ExplorePage = lazy(() => import('./pages/explore.js'));
const AdhocDashboardPage = lazy(() => import('./pages/adhoc-dashboard.js'));
const AlertsPage = lazy(() => import('./pages/alerts.js'));
const ChecksPage = lazy(() => import('./pages/checks.js'));
const DashboardsPage = lazy(() => import('./pages/dashboards.js'));
const DashboardPage = lazy(() => import('./pages/dashboard.js'));
const DashboardImportPage = lazy(() => import('./pages/dashboard-import.js'));
const ServicesPage = lazy(() => import('./pages/services.js'));
const ServicePage = lazy(() => import('./pages/services-job.js'));

const NAV: readonly { path: string; key: MessageKey }[] = [
  { path: '/', key: 'nav.overview' },
  { path: '/hosts', key: 'nav.hosts' },
  { path: '/services', key: 'nav.services' },
  { path: '/explore', key: 'nav.explore' },
  { path: '/dashboards', key: 'nav.dashboards' },
  { path: '/alerts', key: 'nav.alerts' },
  { path: '/checks', key: 'nav.checks' },
];

function isCurrent(navPath: string, pathname: string): boolean {
  return navPath === '/' ? pathname === '/' : pathname === navPath || pathname.startsWith(`${navPath}/`);
}

/** A path segment decoded, or as it is when it is not valid percent-encoding. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The page for a path. */
function route(pathname: string): { page: ReactNode; title?: MessageKey } {
  const host = /^\/hosts\/([^/]+)\/?$/.exec(pathname);
  if (host) {
    const name = decodeSegment(host[1] ?? '');
    return { page: <HostPage key={name} host={name} /> };
  }
  const service = /^\/services\/([^/]+)\/?$/.exec(pathname);
  if (service) {
    const job = decodeSegment(service[1] ?? '');
    return { page: <ServicePage key={job} job={job} />, title: 'nav.services' };
  }
  switch (pathname.replace(/\/$/, '') || '/') {
    case '/':
      return { page: <OverviewPage />, title: 'nav.overview' };
    case '/hosts':
      return { page: <HostsPage />, title: 'nav.hosts' };
    case '/explore':
      return { page: <ExplorePage />, title: 'nav.explore' };
    case '/services':
      return { page: <ServicesPage />, title: 'nav.services' };
    case '/dashboards/adhoc':
      return { page: <AdhocDashboardPage />, title: 'adhoc.title' };
    case '/dashboards':
      return { page: <DashboardsPage />, title: 'nav.dashboards' };
    case '/dashboards/new':
      return { page: <DashboardPage uid={undefined} />, title: 'dashboards.new' };
    case '/dashboards/import':
      return { page: <DashboardImportPage />, title: 'dashboards.importTitle' };
    case '/alerts':
      return { page: <AlertsPage />, title: 'nav.alerts' };
    case '/checks':
      return { page: <ChecksPage />, title: 'nav.checks' };
    default: {
      const dashboard = /^\/dashboards\/([^/]+)\/?$/.exec(pathname)?.[1];
      if (dashboard !== undefined) {
        const uid = decodeSegment(dashboard);
        return { page: <DashboardPage key={uid} uid={uid} />, title: 'nav.dashboards' };
      }
      return { page: <NotFoundPage path={pathname} /> };
    }
  }
}

function Settings() {
  const { t, lang, setLang } = useI18n();
  const { choice, setChoice } = useTheme();
  return (
    <div className="settings">
      <label>
        <span className="sr-only">{t('theme.label')}</span>
        <select
          value={choice}
          onChange={(e) => setChoice(e.target.value as ThemeChoice)}
          aria-label={t('theme.label')}
          data-testid="theme"
        >
          {(['system', 'light', 'dark'] as const).map((c) => (
            <option key={c} value={c}>
              {t(`theme.${c}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="sr-only">{t('lang.label')}</span>
        <select
          value={lang}
          onChange={(e) => {
            if (isLang(e.target.value)) setLang(e.target.value);
          }}
          aria-label={t('lang.label')}
          data-testid="lang"
        >
          {LANGS.map((l) => (
            <option key={l.lang} value={l.lang} lang={l.lang}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** The shell: skip link, navigation, settings, and the page for the current path. */
export function App() {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const [isMenuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);
  const { page, title } = route(pathname);
  const pageTitle = title ? t(title) : undefined;

  useEffect(() => {
    document.title = pageTitle ? `${pageTitle} · Kanshi` : 'Kanshi';
  }, [pageTitle]);
  // After a navigation, close the phone menu and move focus to the page, as a page load would.
  const first = useRef(true);
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [pathname]);

  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width="22" height="22" /> {t('app.title')}
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={isMenuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {t('nav.menu')}
        </button>
        <nav id="nav" aria-label={t('nav.label')} className={isMenuOpen ? 'open' : undefined}>
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <Link to={n.path} aria-current={isCurrent(n.path, pathname) ? 'page' : undefined}>
                  {t(n.key)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <Settings />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>{page}</Suspense>
      </main>
    </div>
  );
}
