import { useI18n } from '../../i18n/i18n-context.js';
import { legendCalcs } from '../../lib/dashboard-format.js';
import type { LegendCalc } from '../../lib/dashboard-model.js';
import { PALETTE } from '../time-chart.js';

/**
 * A panel's legend: one row per series with its colour (the chart's palette, in order) and the
 * chosen calculations over the range (min, max, avg, last) in the panel's unit. Colours print
 * as they show (`print-color-adjust: exact` in print.css).
 */
export function LegendTable({
  series,
  calcs,
  format,
}: {
  series: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
  calcs: readonly LegendCalc[];
  format: (v: number) => string;
}) {
  const { t } = useI18n();
  return (
    <div className="legend-wrap">
      <table className="legend">
        {calcs.length > 0 && (
          <thead>
            <tr>
              <th scope="col">{t('dashboards.series')}</th>
              {calcs.map((c) => (
                <th key={c} scope="col" className="num">
                  {t(`dashboards.calc.${c}`)}
                </th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {series.map((s, i) => {
            const v = legendCalcs(s.values);
            return (
              <tr key={i} data-series={s.label}>
                <th scope="row">
                  <span
                    className="swatch"
                    style={{ background: PALETTE[i % PALETTE.length] }}
                    aria-hidden="true"
                  />
                  {s.label}
                </th>
                {calcs.map((c) => {
                  const x = v[c];
                  return (
                    <td key={c} className="num" data-calc={c}>
                      {x === undefined ? '—' : format(x)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
