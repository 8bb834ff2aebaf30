import { labelValues } from '../../api/dashboards.js';
import { useI18n } from '../../i18n/i18n-context.js';
import type { Variable } from '../../lib/dashboard-model.js';
import {
  ALL,
  AUTO,
  filterValues,
  labelValuesRequest,
  selectVariable,
  staticOptions,
  type VarSelection,
} from '../../lib/dashboard-vars.js';
import { useAsync } from '../../use-async.js';

/** A variable's offered values and selection, and why its values could not be loaded. */
export interface ResolvedVariable {
  readonly variable: Variable;
  readonly options: readonly string[];
  readonly selection: VarSelection;
  readonly error?: string;
}

/**
 * Resolves `variables` in order: a query variable asks `/api/v1/label/<label>/values` with its
 * selector (earlier variables substituted, so variables can chain), then every variable takes
 * its selection from `fromUrl`, its `current`, or its first value.
 */
export function useVariables(
  variables: readonly Variable[],
  fromUrl: ReadonlyMap<string, readonly string[]>,
  refreshKey: number,
) {
  const key = JSON.stringify([variables, [...fromUrl], refreshKey]);
  return useAsync(async (signal) => {
    const values = new Map<string, VarSelection>();
    const out: ResolvedVariable[] = [];
    for (const v of variables) {
      let options = staticOptions(v) ?? [];
      let error: string | undefined;
      const req = labelValuesRequest(v, values);
      if (req) {
        try {
          options = filterValues(
            await labelValues(req.label, req.match, signal),
            v.type === 'query' ? v.regex : undefined,
          );
        } catch (err) {
          if (signal.aborted) throw err;
          error = err instanceof Error ? err.message : String(err);
        }
      }
      const selection = selectVariable(v, options, fromUrl.get(v.name) ?? []);
      values.set(v.name, selection);
      out.push({ variable: v, options, selection, ...(error !== undefined && { error }) });
    }
    return { values, resolved: out };
  }, key);
}

/**
 * The variable pickers above a dashboard: a select per variable (a multi-select list for multi
 * variables), "All" when the variable offers it. `onChange` gets the new URL values.
 */
export function VariablesBar({
  resolved,
  onChange,
}: {
  resolved: readonly ResolvedVariable[];
  onChange: (name: string, values: string[]) => void;
}) {
  const { t } = useI18n();
  if (resolved.length === 0) return null;
  return (
    <div className="variables" role="group" aria-label={t('dashboards.variables')}>
      {resolved.map(({ variable: v, options, selection, error }) => {
        const label = v.label ?? v.name;
        const name = (o: string) => (o === AUTO ? t('dashboards.auto') : o);
        const selected = selection.isAll ? [ALL] : [...selection.values];
        const choices = (
          <>
            {v.includeAll && <option value={ALL}>{t('dashboards.all')}</option>}
            {options.map((o) => (
              <option key={o} value={o}>
                {name(o)}
              </option>
            ))}
          </>
        );
        return (
          <label key={v.name} className="variable" data-variable={v.name}>
            <span>{label}</span>
            {v.multi ? (
              <select
                multiple
                size={Math.min(4, options.length + (v.includeAll ? 1 : 0))}
                value={selected}
                onChange={(e) => {
                  const picked = [...e.target.selectedOptions].map((o) => o.value);
                  onChange(
                    v.name,
                    picked.includes(ALL) && !selection.isAll ? [ALL] : picked.filter((p) => p !== ALL),
                  );
                }}
              >
                {choices}
              </select>
            ) : (
              <select value={selected[0] ?? ''} onChange={(e) => onChange(v.name, [e.target.value])}>
                {choices}
              </select>
            )}
            {error !== undefined && (
              <span className="error small" role="alert">
                {t('dashboards.varError', { name: v.name, message: error })}
              </span>
            )}
          </label>
        );
      })}
    </div>
  );
}
