import { useState } from 'react';
import { importDashboard, type ImportResult } from '../api/dashboards.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../router.js';
import '../components/panels/panels.css';

/** Text as a dashboard value: JSON when it parses as JSON, else YAML. */
async function parseText(text: string): Promise<unknown> {
  const s = text.trim();
  if (s.startsWith('{')) return JSON.parse(s) as unknown;
  const { parse } = await import('yaml');
  return parse(s) as unknown;
}

/**
 * Import: paste or choose a Kanshi dashboard (JSON or YAML) or a Grafana dashboard JSON; the
 * server converts Grafana's and answers what it could not convert, listed here.
 */
export default function DashboardImportPage() {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [result, setResult] = useState<ImportResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [isBusy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await importDashboard(await parseText(text), overwrite));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <header className="page-head">
        <p className="crumb">
          <Link to="/dashboards">{t('dashboards.back')}</Link>
        </p>
        <h1>{t('dashboards.importTitle')}</h1>
      </header>
      <form
        className="import-form editor-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <p className="muted">{t('dashboards.importHelp')}</p>
        <label className="field">
          <span>{t('dashboards.importFile')}</span>
          <input
            type="file"
            accept=".json,.yaml,.yml,application/json,application/yaml"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void f.text().then(setText);
            }}
          />
        </label>
        <label className="field">
          <span>{t('dashboards.importText')}</span>
          <textarea
            className="mono"
            rows={14}
            value={text}
            onChange={(e) => setText(e.target.value)}
            required
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />{' '}
          {t('dashboards.importOverwrite')}
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={isBusy || text.trim() === ''}>
            {t('dashboards.importRun')}
          </button>
        </div>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {t('dashboards.importError', { message: error })}
        </p>
      )}
      {result && (
        <section className="import-result" role="status" data-imported={result.uid}>
          <p>
            {t('dashboards.importDone', { title: result.title, source: result.source })}{' '}
            <Link to={`/dashboards/${encodeURIComponent(result.uid)}`}>{t('dashboards.importOpen')}</Link>
          </p>
          {result.not_converted.length === 0 ? (
            <p className="muted">{t('dashboards.allConverted')}</p>
          ) : (
            <>
              <h2>{t('dashboards.notConverted', { count: result.not_converted.length })}</h2>
              <ul className="not-converted">
                {result.not_converted.map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </>
  );
}
