import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  createDashboard,
  deleteDashboard,
  exportUrl,
  getDashboard,
  isConflict,
  updateDashboard,
  type DashboardEntry,
} from '../api/dashboards.js';
import { ApiError } from '../api/prom.js';
import { PanelEditor } from '../components/panels/panel-editor.js';
import { GAP_PX, PanelView, ROW_PX } from '../components/panels/panel-view.js';
import type { PanelContext } from '../components/panels/use-panel-data.js';
import { useVariables, VariablesBar } from '../components/panels/variables-bar.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import { useI18n } from '../i18n/i18n-context.js';
import {
  layoutBands,
  movePanel,
  nextPosition,
  removePanel,
  resizePanel,
  type MoveDirection,
} from '../lib/dashboard-layout.js';
import { emptyDashboard, type Dashboard, type Panel, type Variable } from '../lib/dashboard-model.js';
import { urlSelections, withVarSelection } from '../lib/dashboard-vars.js';
import {
  absoluteRange,
  isRelative,
  parseDurationMs,
  resolveRange,
  type TimeRange,
} from '../lib/time-range.js';
import { Link, navigate, updateSearch, useSearchParams } from '../router.js';
import { useAsync } from '../use-async.js';
import '../print.css';

const REFRESH_CHOICES = ['10s', '30s', '1m', '5m', '15m', '1h'];

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function newPanel(d: Dashboard): Panel {
  return {
    type: 'timeseries',
    title: '',
    gridPos: nextPosition(d.panels.map((p) => p.gridPos)),
    targets: [{ refId: 'A', expr: '' }],
    legend: { show: true, placement: 'bottom', calcs: [] },
  };
}

/** The settings of a dashboard being edited: title, uid (new only), tags, time, refresh, variables. */
function SettingsForm({
  d,
  isNew,
  onChange,
}: {
  d: Dashboard;
  isNew: boolean;
  onChange: (d: Dashboard) => void;
}) {
  const { t } = useI18n();
  const [varsText, setVarsText] = useState(() => JSON.stringify(d.variables, null, 2));
  const [varsError, setVarsError] = useState<string | undefined>();
  const set = <K extends keyof Dashboard>(k: K, v: Dashboard[K] | undefined) => {
    const next = { ...d };
    if (v === undefined) delete next[k];
    else next[k] = v;
    onChange(next);
  };
  return (
    <details className="dash-settings" open={isNew}>
      <summary>{t('dashboards.settings')}</summary>
      <div className="field-row">
        <label className="field wide">
          <span>{t('dashboards.fieldTitle')}</span>
          <input value={d.title} onChange={(e) => set('title', e.target.value)} data-field="title" required />
        </label>
        {isNew && (
          <label className="field">
            <span>{t('dashboards.fieldUid')}</span>
            <input
              value={d.uid ?? ''}
              pattern="[A-Za-z0-9_-]{1,40}"
              onChange={(e) => set('uid', e.target.value.trim() || undefined)}
            />
          </label>
        )}
        <label className="field wide">
          <span>{t('dashboards.fieldTags')}</span>
          <input
            value={d.tags.join(', ')}
            onChange={(e) =>
              set(
                'tags',
                e.target.value
                  .split(',')
                  .map((s) => s.trim())
                  .filter((s) => s !== ''),
              )
            }
          />
        </label>
      </div>
      <label className="field wide">
        <span>{t('dashboards.fieldDescription')}</span>
        <input
          value={d.description ?? ''}
          onChange={(e) => set('description', e.target.value || undefined)}
        />
      </label>
      <div className="field-row">
        <label className="field">
          <span>{t('dashboards.fieldTimeFrom')}</span>
          <input value={d.time.from} onChange={(e) => set('time', { ...d.time, from: e.target.value })} />
        </label>
        <label className="field">
          <span>{t('dashboards.fieldTimeTo')}</span>
          <input value={d.time.to} onChange={(e) => set('time', { ...d.time, to: e.target.value })} />
        </label>
        <label className="field">
          <span>{t('dashboards.fieldRefresh')}</span>
          <input
            value={d.refresh ?? ''}
            aria-invalid={d.refresh !== undefined && parseDurationMs(d.refresh) === undefined}
            onChange={(e) => set('refresh', e.target.value.trim() || undefined)}
          />
        </label>
      </div>
      <label className="field wide">
        <span>{t('dashboards.fieldVariables')}</span>
        <textarea
          className="mono"
          rows={6}
          value={varsText}
          aria-invalid={varsError !== undefined}
          onChange={(e) => {
            setVarsText(e.target.value);
            try {
              const v = JSON.parse(e.target.value === '' ? '[]' : e.target.value) as unknown;
              if (!Array.isArray(v)) throw new Error('expected a list');
              setVarsError(undefined);
              set('variables', v as Variable[]);
            } catch (err) {
              setVarsError(err instanceof Error ? err.message : String(err));
            }
          }}
        />
        {varsError !== undefined && (
          <span className="error small" role="alert">
            {t('dashboards.invalidJson', { message: varsError })}
          </span>
        )}
      </label>
    </details>
  );
}

/** The edit controls of one panel: edit, move, resize, duplicate and remove, all buttons. */
function PanelToolbar({
  panel,
  focusAction,
  onEdit,
  onMove,
  onResize,
  onDuplicate,
  onRemove,
}: {
  panel: Panel;
  /** The control to focus once drawn: the one just used, as the panel may have moved. */
  focusAction: string | undefined;
  onEdit: () => void;
  onMove: (d: MoveDirection) => void;
  onResize: (dw: number, dh: number) => void;
  onDuplicate: () => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focusAction !== undefined)
      box.current?.querySelector<HTMLElement>(`[data-action="${focusAction}"]`)?.focus();
  }, [focusAction, panel.gridPos]);
  const b = (label: string, text: string, onClick: () => void, action: string) => (
    <button type="button" aria-label={label} title={label} onClick={onClick} data-action={action}>
      {text}
    </button>
  );
  return (
    <div
      className="panel-tools"
      role="toolbar"
      aria-label={t('dashboards.panelActions', { title: panel.title })}
    >
      <button type="button" onClick={onEdit} data-action="edit-panel">
        {t('dashboards.editPanel')}
      </button>
      {b(t('dashboards.moveLeft'), '←', () => onMove('left'), 'left')}
      {b(t('dashboards.moveRight'), '→', () => onMove('right'), 'right')}
      {b(t('dashboards.moveUp'), '↑', () => onMove('up'), 'up')}
      {b(t('dashboards.moveDown'), '↓', () => onMove('down'), 'down')}
      {b(t('dashboards.narrower'), 'W−', () => onResize(-1, 0), 'narrower')}
      {b(t('dashboards.wider'), 'W+', () => onResize(1, 0), 'wider')}
      {b(t('dashboards.shorter'), 'H−', () => onResize(0, -1), 'shorter')}
      {b(t('dashboards.taller'), 'H+', () => onResize(0, 1), 'taller')}
      <span className="muted small">{t('dashboards.size', { w: panel.gridPos.w, h: panel.gridPos.h })}</span>
      {b(t('dashboards.duplicate'), '+1', onDuplicate, 'duplicate')}
      {b(t('dashboards.removePanel'), '✕', onRemove, 'remove')}
    </div>
  );
}

/** The grid of a dashboard's panels, in bands (lib/dashboard-layout.ts). */
function Grid({ d, ctx, toolbar }: { d: Dashboard; ctx: PanelContext; toolbar?: (i: number) => ReactNode }) {
  const bands = useMemo(() => layoutBands(d.panels.map((p) => p.gridPos)), [d.panels]);
  return (
    <div className="dash-grid">
      {bands.map((band) => (
        <div
          key={`${band.top}-${band.items.map((i) => i.index).join('-')}`}
          className="dash-band"
          style={{ gridTemplateRows: `repeat(${band.height}, ${ROW_PX}px)`, gap: `${GAP_PX}px` }}
        >
          {band.items.map((it) => {
            const panel = d.panels[it.index];
            if (!panel) return null;
            return (
              <PanelView
                key={it.index}
                id={`p${it.index}`}
                panel={panel}
                ctx={ctx}
                style={{ gridColumn: `${it.x + 1} / span ${it.w}`, gridRow: `${it.y + 1} / span ${it.h}` }}
                toolbar={toolbar?.(it.index)}
              />
            );
          })}
        </div>
      ))}
    </div>
  );
}

/** A dashboard shown and, in edit mode, edited; `entry` is undefined for a new one. */
function DashboardView({ entry, onReload }: { entry: DashboardEntry | undefined; onReload: () => void }) {
  const { t, formatDateTime } = useI18n();
  const q = useSearchParams();
  const isNew = entry === undefined;
  // What Discard goes back to: the dashboard as last loaded or saved.
  const [saved, setSaved] = useState<Dashboard>(
    () => entry?.dashboard ?? emptyDashboard(t('dashboards.untitled')),
  );
  const [draft, setDraft] = useState<Dashboard>(saved);
  const [version, setVersion] = useState(entry?.version);
  const [isDirty, setDirty] = useState(false);
  const [isEditing, setEditing] = useState(isNew);
  const [editingPanel, setEditingPanel] = useState<number | undefined>();
  const [lastAction, setLastAction] = useState<{ index: number; action: string } | undefined>();
  const [status, setStatus] = useState<
    | { kind: 'saving' | 'saved' | 'conflict' | 'confirmDelete' }
    | { kind: 'error'; message: string }
    | undefined
  >();
  // A newer version from the server (another tab, the file edited) replaces an unedited view.
  const lastVersion = useRef(entry?.version);
  useEffect(() => {
    if (!entry || entry.version === lastVersion.current || isDirty) return;
    lastVersion.current = entry.version;
    if (entry.dashboard) {
      setDraft(entry.dashboard);
      setSaved(entry.dashboard);
    }
    setVersion(entry.version);
  }, [entry, isDirty]);

  const change = (d: Dashboard) => {
    setDraft(d);
    setDirty(true);
    if (status?.kind === 'saved') setStatus(undefined);
  };
  const setPositions = (ps: readonly Panel['gridPos'][]) =>
    change({ ...draft, panels: draft.panels.map((p, i) => ({ ...p, gridPos: ps[i] ?? p.gridPos })) });

  // Time range and refresh: the URL first, else the dashboard's defaults.
  const range: TimeRange = { from: q.get('from') ?? draft.time.from, to: q.get('to') ?? draft.time.to };
  const refresh = q.get('refresh') ?? draft.refresh ?? '';
  const refreshMs = parseDurationMs(refresh);
  const [tick, setTick] = useState(0);
  const isLive = isRelative(range);
  useEffect(() => {
    if (refreshMs === undefined || !isLive) return;
    const id = window.setInterval(
      () => {
        if (!document.hidden) setTick((n) => n + 1);
      },
      Math.max(refreshMs, 5_000),
    );
    return () => window.clearInterval(id);
  }, [refreshMs, isLive]);
  // Resolved again on each refresh tick, so a relative range moves with the clock.
  const resolved = useMemo(() => {
    const now = tick >= 0 ? Date.now() : 0;
    return (
      resolveRange({ from: range.from, to: range.to }, now) ?? { startMs: now - 6 * 3_600_000, endMs: now }
    );
  }, [range.from, range.to, tick]);
  const search = q.toString();
  const fromUrl = useMemo(() => urlSelections(new URLSearchParams(search)), [search]);
  const vars = useVariables(draft.variables, fromUrl, tick);
  const ctx: PanelContext = useMemo(
    () => ({
      startMs: resolved.startMs,
      endMs: resolved.endMs,
      values: vars.data?.values ?? new Map(),
      refreshKey: tick,
      gridWidthPx: Math.min(window.innerWidth, 1600) - 40,
      onZoom: (a: number, b: number) => {
        const r = absoluteRange(a, b);
        updateSearch({ from: r.from, to: r.to });
      },
    }),
    [resolved, vars.data, tick],
  );

  const save = async (overwrite = false) => {
    setStatus({ kind: 'saving' });
    try {
      if (isNew) {
        const e = await createDashboard(draft);
        setDirty(false);
        navigate(`/dashboards/${encodeURIComponent(e.uid)}`, { replace: true });
        return;
      }
      const uid = entry.uid;
      let v = version ?? '';
      if (overwrite) v = (await getDashboard(uid)).version;
      const e = await updateDashboard(uid, draft, v);
      lastVersion.current = e.version;
      setVersion(e.version);
      if (e.dashboard) {
        setDraft(e.dashboard);
        setSaved(e.dashboard);
      }
      setDirty(false);
      setStatus({ kind: 'saved' });
    } catch (err) {
      if (isConflict(err) && !isNew) setStatus({ kind: 'conflict' });
      else setStatus({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  };
  const remove = async () => {
    if (!entry) return;
    try {
      await deleteDashboard(entry.uid, version ?? '');
      navigate('/dashboards');
    } catch (err) {
      if (isConflict(err)) setStatus({ kind: 'conflict' });
      else setStatus({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  };
  const exportYaml = async () => {
    const { stringify } = await import('yaml');
    download(`${entry?.uid ?? 'dashboard'}.yaml`, stringify(draft), 'application/yaml');
  };

  const editing = editingPanel === undefined ? undefined : draft.panels[editingPanel];
  return (
    <div className="dashboard" data-dashboard={entry?.uid ?? ''}>
      <header className="page-head">
        <p className="crumb no-print">
          <Link to="/dashboards">{t('dashboards.back')}</Link>
        </p>
        <h1>{draft.title}</h1>
        {draft.tags.map((tag) => (
          <span key={tag} className="tag">
            {tag}
          </span>
        ))}
        <div className="dash-actions no-print">
          <TimeRangePicker range={range} onChange={(r) => updateSearch({ from: r.from, to: r.to })} />
          <label>
            <span className="sr-only">{t('dashboards.refresh')}</span>
            <select
              aria-label={t('dashboards.refresh')}
              value={refresh}
              onChange={(e) => updateSearch({ refresh: e.target.value === '' ? 'off' : e.target.value })}
            >
              <option value="off">{t('dashboards.refreshOff')}</option>
              {refresh !== '' && refresh !== 'off' && !REFRESH_CHOICES.includes(refresh) && (
                <option value={refresh}>{t('dashboards.refreshEvery', { interval: refresh })}</option>
              )}
              {REFRESH_CHOICES.map((r) => (
                <option key={r} value={r}>
                  {t('dashboards.refreshEvery', { interval: r })}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => setTick((n) => n + 1)}>
            {t('dashboards.refreshNow')}
          </button>
          {!isEditing && (
            <>
              <button type="button" onClick={() => setEditing(true)} data-action="edit">
                {t('dashboards.edit')}
              </button>
              <button type="button" onClick={() => window.print()}>
                {t('dashboards.print')}
              </button>
              {entry && (
                <details className="menu">
                  <summary>{t('dashboards.export')}</summary>
                  <a href={exportUrl(entry.uid)} download={`${entry.uid}.json`}>
                    {t('dashboards.exportJson')}
                  </a>
                  <button type="button" className="link" onClick={() => void exportYaml()}>
                    {t('dashboards.exportYaml')}
                  </button>
                </details>
              )}
            </>
          )}
        </div>
        <p className="print-only print-meta">
          {t('dashboards.printedAt', {
            time: formatDateTime(Date.now()),
            from: formatDateTime(resolved.startMs),
            to: formatDateTime(resolved.endMs),
          })}
        </p>
      </header>
      {draft.description !== undefined && <p className="muted">{draft.description}</p>}
      {isEditing && (
        <div className="edit-bar no-print" role="region" aria-label={t('dashboards.edit')}>
          <button type="button" className="primary" onClick={() => void save()} data-action="save">
            {status?.kind === 'saving' ? t('dashboards.saving') : t('dashboards.save')}
          </button>
          <button
            type="button"
            onClick={() => {
              const p = newPanel(draft);
              change({ ...draft, panels: [...draft.panels, p] });
              setEditingPanel(draft.panels.length);
            }}
            data-action="add-panel"
          >
            {t('dashboards.addPanel')}
          </button>
          {!isNew && (
            <button
              type="button"
              onClick={() => {
                setEditing(false);
                setEditingPanel(undefined);
              }}
            >
              {t('dashboards.done')}
            </button>
          )}
          {isDirty && !isNew && (
            <button
              type="button"
              onClick={() => {
                setDraft(saved);
                setDirty(false);
                setStatus(undefined);
              }}
            >
              {t('dashboards.discard')}
            </button>
          )}
          {!isNew && (
            <button type="button" className="danger" onClick={() => setStatus({ kind: 'confirmDelete' })}>
              {t('dashboards.delete')}
            </button>
          )}
          {isDirty && <span className="muted small">{t('dashboards.unsaved')}</span>}
          {status?.kind === 'saved' && (
            <span className="notice small" role="status">
              {t('dashboards.saved')}
            </span>
          )}
        </div>
      )}
      {status?.kind === 'confirmDelete' && (
        <div className="confirm" role="alertdialog" aria-labelledby="confirm-delete">
          <p id="confirm-delete">{t('dashboards.deleteConfirm')}</p>
          <button type="button" className="danger" onClick={() => void remove()} autoFocus>
            {t('dashboards.deleteYes')}
          </button>
          <button type="button" onClick={() => setStatus(undefined)}>
            {t('dashboards.cancel')}
          </button>
        </div>
      )}
      {status?.kind === 'conflict' && (
        <div className="conflict" role="alert" data-conflict="">
          <p>{t('dashboards.conflict')}</p>
          <button
            type="button"
            onClick={() => {
              setDirty(false);
              setStatus(undefined);
              lastVersion.current = undefined;
              onReload();
            }}
          >
            {t('dashboards.conflictReload')}
          </button>
          <button type="button" onClick={() => void save(true)}>
            {t('dashboards.conflictOverwrite')}
          </button>
        </div>
      )}
      {status?.kind === 'error' && (
        <p className="error" role="alert">
          {t('dashboards.saveError', { message: status.message })}
        </p>
      )}
      {isEditing && <SettingsForm d={draft} isNew={isNew} onChange={change} />}
      {vars.data && (
        <VariablesBar
          resolved={vars.data.resolved}
          onChange={(name, values) => {
            const s = withVarSelection(window.location.search, name, values);
            navigate(`${window.location.pathname}${s === '' ? '' : `?${s}`}`);
          }}
        />
      )}
      {editing && editingPanel !== undefined && (
        <PanelEditor
          key={editingPanel}
          initial={editing}
          ctx={ctx}
          onApply={(p) => {
            change({ ...draft, panels: draft.panels.map((x, i) => (i === editingPanel ? p : x)) });
            setEditingPanel(undefined);
          }}
          onCancel={() => setEditingPanel(undefined)}
        />
      )}
      {draft.panels.length === 0 ? (
        <p className="empty">{t('dashboards.empty')}</p>
      ) : (
        <Grid
          d={draft}
          ctx={ctx}
          {...(isEditing && {
            toolbar: (i: number) => {
              const panel = draft.panels[i];
              if (!panel) return null;
              const ps = draft.panels.map((p) => p.gridPos);
              return (
                <PanelToolbar
                  panel={panel}
                  focusAction={lastAction?.index === i ? lastAction.action : undefined}
                  onEdit={() => setEditingPanel(i)}
                  onMove={(dir) => {
                    setLastAction({ index: i, action: dir });
                    setPositions(movePanel(ps, i, dir));
                  }}
                  onResize={(dw, dh) => {
                    const action = dw < 0 ? 'narrower' : dw > 0 ? 'wider' : dh < 0 ? 'shorter' : 'taller';
                    setLastAction({ index: i, action });
                    setPositions(resizePanel(ps, i, dw, dh));
                  }}
                  onDuplicate={() => {
                    const copy = { ...panel, gridPos: nextPosition(ps, panel.gridPos.w, panel.gridPos.h) };
                    delete copy.id;
                    change({ ...draft, panels: [...draft.panels, copy] });
                  }}
                  onRemove={() => {
                    const next = removePanel(ps, i);
                    change({
                      ...draft,
                      panels: draft.panels
                        .filter((_p, j) => j !== i)
                        .map((p, j) => ({ ...p, gridPos: next[j] ?? p.gridPos })),
                    });
                    setEditingPanel(undefined);
                  }}
                />
              );
            },
          })}
        />
      )}
    </div>
  );
}

/**
 * A stored dashboard (`/dashboards/<uid>`) or a new one (`/dashboards/new`): panels in the 24
 * column grid, template variables, time range and refresh in the URL; Edit to change it and Save
 * with the version it was loaded at (a conflict is shown, never overwritten silently).
 */
export default function DashboardPage({ uid }: { uid: string | undefined }) {
  const { t } = useI18n();
  const [reloads, setReloads] = useState(0);
  const state = useAsync(
    (signal) => (uid === undefined ? Promise.resolve(undefined) : getDashboard(uid, signal)),
    `${uid ?? ''}|${reloads}`,
    { refreshMs: uid === undefined ? undefined : 30_000 },
  );
  if (uid !== undefined && state.error instanceof ApiError && state.error.status === 404)
    return (
      <p className="empty">
        {t('dashboards.notFound', { uid })} <Link to="/dashboards">{t('dashboards.back')}</Link>
      </p>
    );
  if (uid !== undefined && state.data === undefined) {
    return state.error ? (
      <p className="error" role="alert">
        {t('common.error', { message: state.error.message })}
      </p>
    ) : (
      <p className="muted">{t('common.loading')}</p>
    );
  }
  if (state.data && !state.data.dashboard)
    return (
      <p className="error" role="alert">
        {t('dashboards.fileError', { error: state.data.error ?? '' })}
      </p>
    );
  return <DashboardView key={uid ?? 'new'} entry={state.data} onReload={() => setReloads((n) => n + 1)} />;
}
