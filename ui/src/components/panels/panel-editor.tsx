import { lazy, Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../../i18n/i18n-context.js';
import {
  DASHBOARD_UNITS,
  LEGEND_CALCS,
  PANEL_STYLES,
  PANEL_TYPES,
  isDashboardUnit,
  type Panel,
  type Target,
  type ThresholdStep,
} from '../../lib/dashboard-model.js';
import { PanelView } from './panel-view.js';
import type { PanelContext } from './use-panel-data.js';

const PromqlEditor = lazy(() => import('../promql-editor.js'));

/** `o` without `key` when `value` is undefined, else with it (exactOptionalPropertyTypes). */
function setOpt<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): T {
  const next = { ...o };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

function numberOrUndefined(s: string): number | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function nextRefId(targets: readonly Target[]): string {
  const used = new Set(targets.map((t) => t.refId));
  for (let i = 0; i < 26; i++) {
    const id = String.fromCharCode(65 + i);
    if (!used.has(id)) return id;
  }
  return `Q${targets.length + 1}`;
}

function Field({ label, children, wide }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <label className={wide ? 'field wide' : 'field'}>
      <span>{label}</span>
      {children}
    </label>
  );
}

/**
 * The panel editor: type, title, queries (the PromQL editor), legend format and step per query,
 * unit, decimals, min/max, thresholds, style and legend, or a text panel's markdown, with a live
 * preview of the draft. Nothing changes on the dashboard until Apply.
 */
export function PanelEditor({
  initial,
  ctx,
  onApply,
  onCancel,
}: {
  initial: Panel;
  ctx: PanelContext;
  onApply: (p: Panel) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [p, setP] = useState<Panel>(initial);
  // The preview runs what was last run (Shift+Enter or leaving a field), not every keystroke.
  const [preview, setPreview] = useState<Panel>(initial);
  const set = (next: Panel) => setP(next);
  const commit = (next: Panel = p) => {
    setP(next);
    setPreview(next);
  };
  const setTarget = (i: number, tt: Target, run = false) => {
    const targets = p.targets.map((x, j) => (j === i ? tt : x));
    if (run) commit({ ...p, targets });
    else set({ ...p, targets });
  };
  const legend = p.legend ?? { show: true, placement: 'bottom' as const, calcs: [] };
  const thresholds = p.thresholds ?? { mode: 'absolute' as const, steps: [{ value: null, color: 'green' }] };
  const setSteps = (steps: ThresholdStep[]) => commit({ ...p, thresholds: { ...thresholds, steps } });
  const isText = p.type === 'text';
  // Opening the editor moves focus to it, as opening a dialog would.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: 'start' });
  }, []);

  return (
    <section className="panel-editor" aria-labelledby="panel-editor-title">
      <h2 id="panel-editor-title" ref={heading} tabIndex={-1}>
        {t('dashboards.editorTitle')}
      </h2>
      <div className="editor-grid">
        <form
          className="editor-form"
          onSubmit={(e) => {
            e.preventDefault();
            onApply(p);
          }}
          onBlur={() => setPreview(p)}
        >
          <div className="field-row">
            <Field label={t('dashboards.type')}>
              <select
                value={p.type}
                onChange={(e) => commit({ ...p, type: e.target.value as Panel['type'] })}
              >
                {PANEL_TYPES.map((x) => (
                  <option key={x} value={x}>
                    {t(`dashboards.type.${x}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('dashboards.fieldTitle')} wide>
              <input value={p.title} onChange={(e) => set({ ...p, title: e.target.value })} />
            </Field>
          </div>
          <Field label={t('dashboards.fieldDescription')} wide>
            <input
              value={p.description ?? ''}
              onChange={(e) => set(setOpt(p, 'description', e.target.value || undefined))}
            />
          </Field>
          {isText ? (
            <Field label={t('dashboards.content')} wide>
              <textarea
                rows={8}
                value={p.content ?? ''}
                onChange={(e) => commit({ ...p, content: e.target.value, mode: 'markdown' })}
              />
            </Field>
          ) : (
            <>
              <fieldset>
                <legend>{t('dashboards.queries')}</legend>
                {p.targets.map((tt, i) => {
                  const refId = tt.refId ?? String.fromCharCode(65 + i);
                  return (
                    <div key={i} className="target" data-target={refId}>
                      <div className="target-head">
                        <strong>{t('dashboards.query', { refId })}</strong>
                        <button
                          type="button"
                          onClick={() => commit({ ...p, targets: p.targets.filter((_x, j) => j !== i) })}
                        >
                          {t('dashboards.removeQuery', { refId })}
                        </button>
                      </div>
                      <Suspense
                        fallback={
                          <textarea
                            className="promql-fallback"
                            aria-label={t('dashboards.query', { refId })}
                            value={tt.expr}
                            onChange={(e) => setTarget(i, { ...tt, expr: e.target.value })}
                          />
                        }
                      >
                        <PromqlEditor
                          value={tt.expr}
                          onChange={(expr) => setTarget(i, { ...tt, expr })}
                          onRun={(expr) => setTarget(i, { ...tt, expr }, true)}
                          label={t('dashboards.query', { refId })}
                          placeholderText={t('explore.empty')}
                        />
                      </Suspense>
                      <div className="field-row">
                        <Field label={t('dashboards.legendFormat')} wide>
                          <input
                            value={tt.legendFormat ?? ''}
                            placeholder={t('dashboards.legendFormatHint')}
                            onChange={(e) =>
                              setTarget(i, setOpt(tt, 'legendFormat', e.target.value || undefined))
                            }
                          />
                        </Field>
                        <Field label={t('dashboards.step')}>
                          <input
                            size={6}
                            value={tt.step ?? ''}
                            placeholder={t('dashboards.stepAuto')}
                            onChange={(e) =>
                              setTarget(i, setOpt(tt, 'step', e.target.value.trim() || undefined))
                            }
                          />
                        </Field>
                      </div>
                    </div>
                  );
                })}
                <button
                  type="button"
                  onClick={() =>
                    set({ ...p, targets: [...p.targets, { refId: nextRefId(p.targets), expr: '' }] })
                  }
                >
                  {t('dashboards.addQuery')}
                </button>
              </fieldset>
              <div className="field-row">
                <Field label={t('dashboards.unit')}>
                  <select
                    value={p.unit ?? 'short'}
                    onChange={(e) =>
                      commit(setOpt(p, 'unit', isDashboardUnit(e.target.value) ? e.target.value : undefined))
                    }
                  >
                    {DASHBOARD_UNITS.map((u) => (
                      <option key={u} value={u}>
                        {u}
                      </option>
                    ))}
                  </select>
                </Field>
                {(['decimals', 'min', 'max'] as const).map((k) => (
                  <Field key={k} label={t(`dashboards.${k}`)}>
                    <input
                      type="number"
                      {...(k === 'decimals' && { min: 0, max: 20 })}
                      value={p[k] ?? ''}
                      onChange={(e) => commit(setOpt(p, k, numberOrUndefined(e.target.value)))}
                    />
                  </Field>
                ))}
                {p.type === 'timeseries' && (
                  <Field label={t('dashboards.style')}>
                    <select
                      value={p.style ?? 'lines'}
                      onChange={(e) => commit({ ...p, style: e.target.value as NonNullable<Panel['style']> })}
                    >
                      {PANEL_STYLES.map((s) => (
                        <option key={s} value={s}>
                          {t(`dashboards.style.${s}`)}
                        </option>
                      ))}
                    </select>
                  </Field>
                )}
              </div>
              <fieldset>
                <legend>{t('dashboards.thresholds')}</legend>
                <Field label={t('dashboards.thresholdMode')}>
                  <select
                    value={thresholds.mode}
                    onChange={(e) =>
                      commit({
                        ...p,
                        thresholds: {
                          ...thresholds,
                          mode: e.target.value === 'percentage' ? 'percentage' : 'absolute',
                        },
                      })
                    }
                  >
                    <option value="absolute">{t('dashboards.thresholdAbsolute')}</option>
                    <option value="percentage">{t('dashboards.thresholdPercentage')}</option>
                  </select>
                </Field>
                {thresholds.steps.map((s, i) => (
                  <div key={i} className="field-row threshold" data-threshold={i}>
                    <Field label={t('dashboards.thresholdValue')}>
                      {s.value === null ? (
                        <input value={t('dashboards.thresholdBase')} disabled />
                      ) : (
                        <input
                          type="number"
                          value={s.value}
                          onChange={(e) =>
                            setSteps(
                              thresholds.steps.map((x, j) =>
                                j === i ? { ...x, value: numberOrUndefined(e.target.value) ?? 0 } : x,
                              ),
                            )
                          }
                        />
                      )}
                    </Field>
                    <Field label={t('dashboards.thresholdColor')}>
                      <input
                        value={s.color}
                        size={10}
                        onChange={(e) =>
                          setSteps(
                            thresholds.steps.map((x, j) => (j === i ? { ...x, color: e.target.value } : x)),
                          )
                        }
                      />
                    </Field>
                    {s.value !== null && (
                      <button
                        type="button"
                        onClick={() => setSteps(thresholds.steps.filter((_x, j) => j !== i))}
                      >
                        {t('dashboards.removeThreshold')}
                      </button>
                    )}
                  </div>
                ))}
                <button
                  type="button"
                  onClick={() => {
                    const top = Math.max(0, ...thresholds.steps.map((s) => s.value ?? 0));
                    setSteps([...thresholds.steps, { value: top === 0 ? 80 : top * 1.2, color: 'red' }]);
                  }}
                >
                  {t('dashboards.addThreshold')}
                </button>
              </fieldset>
              {p.type === 'timeseries' && (
                <fieldset>
                  <legend>{t('dashboards.legend')}</legend>
                  <div className="field-row">
                    <label className="check">
                      <input
                        type="checkbox"
                        checked={legend.show}
                        onChange={(e) => commit({ ...p, legend: { ...legend, show: e.target.checked } })}
                      />{' '}
                      {t('dashboards.legendShow')}
                    </label>
                    <Field label={t('dashboards.legendPlacement')}>
                      <select
                        value={legend.placement}
                        onChange={(e) =>
                          commit({
                            ...p,
                            legend: { ...legend, placement: e.target.value === 'right' ? 'right' : 'bottom' },
                          })
                        }
                      >
                        <option value="bottom">{t('dashboards.legendBottom')}</option>
                        <option value="right">{t('dashboards.legendRight')}</option>
                      </select>
                    </Field>
                  </div>
                  <div className="field-row" role="group" aria-label={t('dashboards.calcs')}>
                    {LEGEND_CALCS.map((c) => (
                      <label key={c} className="check">
                        <input
                          type="checkbox"
                          checked={legend.calcs.includes(c)}
                          onChange={(e) =>
                            commit({
                              ...p,
                              legend: {
                                ...legend,
                                calcs: LEGEND_CALCS.filter((x) =>
                                  x === c ? e.target.checked : legend.calcs.includes(x),
                                ),
                              },
                            })
                          }
                        />{' '}
                        {t(`dashboards.calc.${c}`)}
                      </label>
                    ))}
                  </div>
                </fieldset>
              )}
            </>
          )}
          <div className="actions">
            <button type="submit" className="primary" data-action="apply-panel">
              {t('dashboards.apply')}
            </button>
            <button type="button" onClick={onCancel}>
              {t('dashboards.cancel')}
            </button>
          </div>
        </form>
        <div className="editor-preview" aria-label={t('dashboards.preview')} role="region">
          <PanelView
            panel={{ ...preview, gridPos: { ...preview.gridPos, h: Math.max(preview.gridPos.h, 8) } }}
            id="preview"
            ctx={ctx}
          />
        </div>
      </div>
    </section>
  );
}
