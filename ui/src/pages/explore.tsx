import { lazy, Suspense, useEffect, useState } from 'react';
import { queryInstant, queryRange, type InstantResult, type Metric } from '../api/prom.js';
import { AsyncView } from '../components/async-view.js';
import { TimeChart } from '../components/time-chart.js';
import { AddToDashboard } from '../components/panels/add-to-dashboard.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import { useI18n } from '../i18n/i18n-context.js';
import { alignMatrix, formatSeriesName } from '../lib/series.js';
import {
  absoluteRange,
  autoStepMs,
  formatDurationMs,
  parseDurationMs,
  resolveRange,
} from '../lib/time-range.js';
import { Link, updateSearch, useSearchParams } from '../router.js';
import { useAsync } from '../use-async.js';
import { useRangeParams } from './range-params.js';

const PromqlEditor = lazy(() => import('../components/promql-editor.js'));

type Tab = 'graph' | 'table';

function ResultTable({ result, timeMs }: { result: InstantResult; timeMs: number }) {
  const { t, formatDateTime } = useI18n();
  if (result.resultType === 'scalar' || result.resultType === 'string') {
    return (
      <p className="scalar" data-result={result.resultType}>
        {result.result[1]}
      </p>
    );
  }
  const rows: { metric: Metric; value: string }[] = [];
  if (result.resultType === 'vector') {
    for (const s of result.result) rows.push({ metric: s.metric, value: s.value[1] });
  } else if (result.resultType === 'matrix') {
    for (const s of result.result) {
      rows.push({ metric: s.metric, value: s.values.map((v) => `${v[1]} @${v[0]}`).join('\n') });
    }
  }
  if (rows.length === 0) return <p className="empty">{t('explore.noResult')}</p>;
  return (
    <>
      <p className="muted small">
        {t('explore.resultInfo', { count: rows.length, time: formatDateTime(timeMs) })}
      </p>
      <div className="table-wrap">
        <table className="result">
          <thead>
            <tr>
              <th scope="col">{t('explore.series')}</th>
              <th scope="col" className="num">
                {t('explore.value')}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td className="mono">{formatSeriesName(r.metric)}</td>
                <td className="num mono">{r.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Explore: a PromQL editor, the result as a graph or a table, all state in the URL. */
export default function ExplorePage() {
  const { t } = useI18n();
  const q = useSearchParams();
  const expr = q.get('expr') ?? '';
  const tab: Tab = q.get('tab') === 'table' ? 'table' : 'graph';
  const stepParam = q.get('step') ?? '';
  const { range, setRange } = useRangeParams();
  const [draft, setDraft] = useState(expr);
  // Back and forward change the expression in the URL: show it in the editor.
  useEffect(() => setDraft(expr), [expr]);
  const [copied, setCopied] = useState(false);
  const [runs, setRuns] = useState(0);

  const now = Date.now();
  const resolved = resolveRange(range, now) ?? { startMs: now - 3_600_000, endMs: now };
  const autoStep = autoStepMs(resolved.endMs - resolved.startMs, Math.min(window.innerWidth, 1200), 1_000);
  const stepMs = parseDurationMs(stepParam) ?? autoStep;
  const startMs = Math.floor(resolved.startMs / stepMs) * stepMs;
  const endMs = Math.floor(resolved.endMs / stepMs) * stepMs;

  const run = (text: string) => {
    setDraft(text);
    setRuns((n) => n + 1);
    updateSearch({ expr: text.trim() });
  };
  const key = `${expr}|${tab}|${range.from}|${range.to}|${stepMs}|${runs}`;
  const result = useAsync(async (signal) => {
    if (expr.trim() === '') return undefined;
    if (tab === 'table') {
      const timeMs = resolved.endMs;
      return { kind: 'table' as const, timeMs, result: await queryInstant(expr, timeMs, signal) };
    }
    const r = { startMs, endMs, stepMs };
    const series = await queryRange(expr, r, signal);
    const data = alignMatrix(series, r);
    return {
      kind: 'graph' as const,
      xs: data.xs,
      series: series.map((s, i) => ({ label: formatSeriesName(s.metric), values: data.ys[i] ?? [] })),
    };
  }, key);

  return (
    <>
      <header className="page-head">
        <h1>{t('explore.title')}</h1>
      </header>
      <form
        className="explore-form"
        onSubmit={(e) => {
          e.preventDefault();
          run(draft);
        }}
      >
        <Suspense
          fallback={
            <textarea
              className="promql-fallback"
              aria-label={t('explore.expr')}
              value={draft}
              placeholder={t('explore.editorLoading')}
              onChange={(e) => setDraft(e.target.value)}
            />
          }
        >
          <PromqlEditor
            value={draft}
            onChange={setDraft}
            onRun={run}
            label={t('explore.expr')}
            placeholderText={t('explore.empty')}
          />
        </Suspense>
        <div className="explore-actions">
          <button type="submit" className="primary">
            {t('explore.run')}
          </button>
          <span className="muted small">{t('explore.runHint')}</span>
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard?.writeText(window.location.href).then(() => setCopied(true));
            }}
          >
            {copied ? t('explore.copied') : t('explore.copyLink')}
          </button>
          {expr.trim() !== '' && (
            <Link
              to={`/dashboards/adhoc?${new URLSearchParams({ q: expr, from: range.from, to: range.to }).toString()}`}
            >
              {t('explore.openAsPanel')}
            </Link>
          )}
        </div>
      </form>
      {expr.trim() !== '' && <AddToDashboard key={expr} expr={expr} range={range} />}
      <div className="explore-bar">
        <div role="tablist" aria-label={t('explore.title')} className="tabs">
          {(['graph', 'table'] as const).map((x) => (
            <button
              key={x}
              type="button"
              role="tab"
              aria-selected={tab === x}
              onClick={() => updateSearch({ tab: x === 'graph' ? undefined : x })}
            >
              {t(x === 'graph' ? 'explore.graph' : 'explore.table')}
            </button>
          ))}
        </div>
        <TimeRangePicker range={range} onChange={setRange} />
        {tab === 'graph' && (
          <label className="step">
            {t('explore.step')}{' '}
            <input
              type="text"
              size={6}
              placeholder={t('explore.stepAuto', { step: formatDurationMs(autoStep) })}
              defaultValue={stepParam}
              key={stepParam}
              onBlur={(e) => updateSearch({ step: e.target.value.trim() })}
              onKeyDown={(e) => {
                if (e.key === 'Enter') updateSearch({ step: e.currentTarget.value.trim() });
              }}
              aria-invalid={stepParam !== '' && parseDurationMs(stepParam) === undefined}
            />
          </label>
        )}
      </div>
      <section className="explore-result" aria-live="polite">
        {expr.trim() === '' ? (
          <p className="empty">{t('explore.empty')}</p>
        ) : (
          <AsyncView state={result}>
            {(d) =>
              d === undefined ? null : d.kind === 'table' ? (
                <ResultTable result={d.result} timeMs={d.timeMs} />
              ) : d.series.length === 0 ? (
                <p className="empty">{t('explore.noResult')}</p>
              ) : (
                <TimeChart
                  label={expr}
                  xs={d.xs}
                  series={d.series}
                  unit="short"
                  height={360}
                  onZoom={(a, b) => setRange(absoluteRange(a, b))}
                />
              )
            }
          </AsyncView>
        )}
      </section>
    </>
  );
}
