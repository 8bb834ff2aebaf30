import { useState } from 'react';
import { createDashboard, getDashboard, listDashboards, updateDashboard } from '../../api/dashboards.js';
import { useI18n } from '../../i18n/i18n-context.js';
import { nextPosition } from '../../lib/dashboard-layout.js';
import { emptyDashboard, type Panel } from '../../lib/dashboard-model.js';
import type { TimeRange } from '../../lib/time-range.js';
import { navigate } from '../../router.js';
import './panels.css';
import { useAsync } from '../../use-async.js';

const NEW = '\u0000new';

/**
 * Explore's "Add to dashboard": a time-series panel of `expr` appended under the panels of a
 * chosen dashboard (saved with its version) or of a new one, then that dashboard opens at the
 * same time range.
 */
export function AddToDashboard({ expr, range }: { expr: string; range: TimeRange }) {
  const { t } = useI18n();
  const [isOpen, setOpen] = useState(false);
  const list = useAsync((signal) => (isOpen ? listDashboards(signal) : Promise.resolve([])), String(isOpen));
  const [choice, setChoice] = useState<string | undefined>();
  const [newTitle, setNewTitle] = useState('');
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | undefined>();
  const usable = (list.data ?? []).filter((d) => d.error === null);
  const target = choice ?? usable[0]?.uid ?? NEW;

  const add = async () => {
    setError(undefined);
    try {
      const panel = (y: Panel['gridPos'][]): Panel => ({
        type: 'timeseries',
        title: title.trim() || expr,
        gridPos: nextPosition(y),
        targets: [{ refId: 'A', expr }],
        legend: { show: true, placement: 'bottom', calcs: [] },
      });
      let uid: string;
      if (target === NEW) {
        const d = emptyDashboard(newTitle.trim() || t('dashboards.untitled'));
        uid = (await createDashboard({ ...d, panels: [panel([])] })).uid;
      } else {
        const e = await getDashboard(target);
        if (!e.dashboard) throw new Error(e.error ?? target);
        const d = e.dashboard;
        await updateDashboard(
          target,
          { ...d, panels: [...d.panels, panel(d.panels.map((p) => p.gridPos))] },
          e.version,
        );
        uid = target;
      }
      const q = new URLSearchParams({ from: range.from, to: range.to });
      navigate(`/dashboards/${encodeURIComponent(uid)}?${q.toString()}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  if (!isOpen)
    return (
      <button type="button" onClick={() => setOpen(true)} data-action="add-to-dashboard">
        {t('dashboards.addToDashboard')}
      </button>
    );
  return (
    <form
      className="add-to-dashboard field-row"
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <label className="field">
        <span>{t('dashboards.addTo')}</span>
        <select value={target} onChange={(e) => setChoice(e.target.value)} autoFocus>
          {usable.map((d) => (
            <option key={d.uid} value={d.uid}>
              {d.title}
            </option>
          ))}
          <option value={NEW}>{t('dashboards.addToNew')}</option>
        </select>
      </label>
      {target === NEW && (
        <label className="field">
          <span>{t('dashboards.newTitle')}</span>
          <input value={newTitle} onChange={(e) => setNewTitle(e.target.value)} />
        </label>
      )}
      <label className="field wide">
        <span>{t('dashboards.panelTitle')}</span>
        <input value={title} placeholder={expr} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <button type="submit" className="primary">
        {t('dashboards.addAndOpen')}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        {t('dashboards.cancel')}
      </button>
      {error !== undefined && (
        <span className="error" role="alert">
          {t('dashboards.addError', { message: error })}
        </span>
      )}
    </form>
  );
}
