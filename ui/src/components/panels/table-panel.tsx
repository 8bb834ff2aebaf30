import { useState } from 'react';
import { useI18n } from '../../i18n/i18n-context.js';
import { formatUnit, thresholdColor } from '../../lib/dashboard-format.js';
import type { Panel } from '../../lib/dashboard-model.js';
import { AsyncView } from '../async-view.js';
import { useInstantData, type InstantRow, type PanelContext } from './use-panel-data.js';

const VALUE = '\u0000value';

/** The label columns of `rows`: `__name__` first, then the others sorted. */
function columns(rows: readonly InstantRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.metric)) names.add(k);
  const rest = [...names].filter((n) => n !== '__name__').sort();
  return names.has('__name__') ? ['__name__', ...rest] : rest;
}

function compare(a: InstantRow, b: InstantRow, col: string): number {
  if (col === VALUE) {
    const x = a.value ?? -Infinity;
    const y = b.value ?? -Infinity;
    return x === y ? 0 : x < y ? -1 : 1;
  }
  return (a.metric[col] ?? '').localeCompare(b.metric[col] ?? '', 'en', { numeric: true });
}

/**
 * A table panel: the instant value of each series at the end of the range, one column per label,
 * sortable by any column (click or Enter on its header; again to reverse).
 */
export function TablePanel({ panel, ctx }: { panel: Panel; ctx: PanelContext }) {
  const { t } = useI18n();
  const state = useInstantData(panel, ctx);
  const [sort, setSort] = useState<{ col: string; desc: boolean }>({ col: VALUE, desc: true });
  return (
    <AsyncView state={state}>
      {(rows) => {
        if (rows.length === 0) return <p className="empty">{t('common.noData')}</p>;
        const cols = columns(rows);
        const sorted = [...rows].sort((a, b) => (sort.desc ? -1 : 1) * compare(a, b, sort.col));
        const head = (col: string, text: string, isNum = false) => {
          const active = sort.col === col;
          return (
            <th
              key={col}
              scope="col"
              className={isNum ? 'num' : undefined}
              aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}
            >
              <button
                type="button"
                className="sort"
                aria-label={t('dashboards.sortBy', { column: text })}
                onClick={() => setSort({ col, desc: active ? !sort.desc : col === VALUE })}
              >
                {text}
                {active ? (sort.desc ? ' ▼' : ' ▲') : ''}
              </button>
            </th>
          );
        };
        return (
          <div className="table-wrap panel-table">
            <table>
              <thead>
                <tr>
                  {cols.map((c) => head(c, c))}
                  {head(VALUE, t('dashboards.value'), true)}
                </tr>
              </thead>
              <tbody>
                {sorted.map((r, i) => {
                  const color =
                    r.value === null
                      ? undefined
                      : thresholdColor(r.value, panel.thresholds, { min: panel.min, max: panel.max });
                  return (
                    <tr key={i}>
                      {cols.map((c) => (
                        <td key={c} className="mono">
                          {r.metric[c] ?? ''}
                        </td>
                      ))}
                      <td
                        className="num mono"
                        style={color ? { color } : undefined}
                        data-value={r.value ?? ''}
                      >
                        {r.value === null ? '—' : formatUnit(r.value, panel.unit, panel.decimals)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        );
      }}
    </AsyncView>
  );
}
