import { useMemo } from 'react';
import { listDashboards, type DashboardSummary } from '../api/dashboards.js';
import { AsyncView } from '../components/async-view.js';
import { useI18n } from '../i18n/i18n-context.js';
import { folderOf, groupByFolder, matchesSearch } from '../lib/dashboard-list.js';
import { Link, updateSearch, useSearchParams } from '../router.js';
import { useAsync } from '../use-async.js';
import '../components/panels/panels.css';

/**
 * The dashboards list: every dashboard file grouped by folder, searchable by title and tag
 * (`?q=`, `?tag=`, kept in the URL), files that do not load listed with their error. Refreshed
 * every 10 s so a file dropped into a folder appears.
 */
export default function DashboardsPage() {
  const { t } = useI18n();
  const q = useSearchParams();
  const search = q.get('q') ?? '';
  const tag = q.get('tag') ?? '';
  const state = useAsync((signal) => listDashboards(signal), 'list', { refreshMs: 10_000 });
  const tags = useMemo(
    () => [...new Set((state.data ?? []).flatMap((d) => d.tags))].sort((a, b) => a.localeCompare(b)),
    [state.data],
  );
  const item = (d: DashboardSummary) => (
    <li key={d.file} data-uid={d.uid}>
      {d.error === null ? (
        <Link to={`/dashboards/${encodeURIComponent(d.uid)}`}>{d.title}</Link>
      ) : (
        <span>{d.title || d.uid}</span>
      )}
      {d.tags.map((x) => (
        <span key={x} className="tag">
          {x}
        </span>
      ))}
      <span className="muted small mono">{d.file.slice(folderOf(d.file).length + 1)}</span>
      {d.error !== null && (
        <span className="error small" data-error="">
          {t('dashboards.fileError', { error: d.error })}
        </span>
      )}
    </li>
  );
  return (
    <div className="dash-list">
      <header className="page-head">
        <h1>{t('dashboards.title')}</h1>
        <div className="dash-actions">
          <Link to="/dashboards/new" data-action="new">
            {t('dashboards.new')}
          </Link>
          <Link to="/dashboards/import">{t('dashboards.import')}</Link>
        </div>
      </header>
      <div className="dash-filters">
        <label>
          <span className="sr-only">{t('dashboards.search')}</span>
          <input
            type="search"
            aria-label={t('dashboards.search')}
            placeholder={t('dashboards.searchPlaceholder')}
            value={search}
            onChange={(e) => updateSearch({ q: e.target.value }, true)}
          />
        </label>
        {tags.length > 0 && (
          <div role="group" aria-label={t('dashboards.tags')} className="field-row">
            <button
              type="button"
              className="tag"
              aria-pressed={tag === ''}
              onClick={() => updateSearch({ tag: undefined })}
            >
              {t('dashboards.allTags')}
            </button>
            {tags.map((x) => (
              <button
                key={x}
                type="button"
                className="tag"
                aria-pressed={tag === x}
                onClick={() => updateSearch({ tag: tag === x ? undefined : x })}
              >
                {x}
              </button>
            ))}
          </div>
        )}
      </div>
      <AsyncView state={state}>
        {(all) => {
          if (all.length === 0) return <p className="empty">{t('dashboards.none')}</p>;
          const shown = all.filter((d) => matchesSearch(d, search, tag));
          if (shown.length === 0) return <p className="empty">{t('dashboards.noMatch')}</p>;
          return (
            <>
              <p className="muted small">{t('dashboards.count', { count: shown.length })}</p>
              {groupByFolder(shown).map(([folder, list]) => (
                <section key={folder} className="folder" aria-label={t('dashboards.folder', { folder })}>
                  <h2>{folder}</h2>
                  <ul>{list.map(item)}</ul>
                </section>
              ))}
            </>
          );
        }}
      </AsyncView>
    </div>
  );
}
