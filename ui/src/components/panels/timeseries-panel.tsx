import { useCallback, useMemo } from 'react';
import { useI18n } from '../../i18n/i18n-context.js';
import { formatUnit } from '../../lib/dashboard-format.js';
import type { Panel } from '../../lib/dashboard-model.js';
import { AsyncView } from '../async-view.js';
import { TimeChart } from '../time-chart.js';
import { LegendTable } from './legend-table.js';
import { useRangeData, type PanelContext, type RangeData } from './use-panel-data.js';

/** Rows the bottom legend takes at most before it scrolls. */
const LEGEND_ROWS = 4;

function Chart({
  panel,
  ctx,
  data,
  heightPx,
}: {
  panel: Panel;
  ctx: PanelContext;
  data: RangeData;
  heightPx: number;
}) {
  const format = useCallback(
    (v: number) => formatUnit(v, panel.unit, panel.decimals),
    [panel.unit, panel.decimals],
  );
  const series = useMemo(() => data.series.map((s) => ({ label: s.label, values: s.values })), [data]);
  const legend = panel.legend ?? { show: true, placement: 'bottom' as const, calcs: [] };
  const isRight = legend.placement === 'right';
  const hasHead = legend.calcs.length > 0 ? 1 : 0;
  const legendPx = legend.show && !isRight ? (Math.min(series.length, LEGEND_ROWS) + hasHead) * 22 + 6 : 0;
  return (
    <div className={`ts${legend.show && isRight ? ' legend-right' : ''}`}>
      <TimeChart
        label={panel.title}
        xs={data.xs}
        series={series}
        unit="short"
        format={format}
        stacked={panel.style === 'stacked'}
        fill={panel.style === 'area'}
        showLegend={false}
        height={Math.max(80, heightPx - legendPx)}
        {...(ctx.onZoom && { onZoom: ctx.onZoom })}
      />
      {legend.show && <LegendTable series={series} calcs={legend.calcs} format={format} />}
    </div>
  );
}

/** A time-series panel: lines, areas or stacked areas (uPlot) and a legend with calculations. */
export function TimeseriesPanel({
  panel,
  ctx,
  heightPx,
}: {
  panel: Panel;
  ctx: PanelContext;
  heightPx: number;
}) {
  const { t } = useI18n();
  const state = useRangeData(panel, ctx);
  return (
    <AsyncView state={state}>
      {(d) =>
        d.series.length === 0 ? (
          <p className="empty">{t('common.noData')}</p>
        ) : (
          <Chart panel={panel} ctx={ctx} data={d} heightPx={heightPx} />
        )
      }
    </AsyncView>
  );
}
