import type { CSSProperties, ReactNode } from 'react';
import { useI18n } from '../../i18n/i18n-context.js';
import { activeTargets, type Panel } from '../../lib/dashboard-model.js';
import { substitute } from '../../lib/dashboard-vars.js';
import { TablePanel } from './table-panel.js';
import { TextPanel } from './text-panel.js';
import { TimeseriesPanel } from './timeseries-panel.js';
import type { PanelContext } from './use-panel-data.js';
import { ValuePanel } from './value-panels.js';
import './panels.css';

/** Height of one grid row in px, and the gap between rows and columns (Grafana's are 30 and 8). */
export const ROW_PX = 30;
export const GAP_PX = 8;

/** The height in px of a panel `h` grid rows high. */
export function panelHeightPx(h: number): number {
  return h * ROW_PX + (h - 1) * GAP_PX;
}

/** Props of {@link PanelView}. */
export interface PanelViewProps {
  readonly panel: Panel;
  /** Stable id: `data-panel` and the heading's id. */
  readonly id: string;
  readonly ctx: PanelContext;
  /** Placement in the band's grid (set by the dashboard). */
  readonly style?: CSSProperties;
  /** Edit controls shown in the panel's header. */
  readonly toolbar?: ReactNode;
}

/**
 * One dashboard panel of any type: a titled section (variables substituted in the title) sized
 * by its grid rows, drawing its queries as the type says.
 */
export function PanelView({ panel, id, ctx, style, toolbar }: PanelViewProps) {
  const { t } = useI18n();
  const heightPx = panelHeightPx(panel.gridPos.h);
  // Title and padding take about 40 px of the panel.
  const bodyPx = heightPx - 40;
  const title = substitute(panel.title, ctx.values);
  let body: ReactNode;
  if (panel.type === 'text') body = <TextPanel content={panel.content ?? ''} mode={panel.mode} />;
  else if (activeTargets(panel).length === 0) body = <p className="empty">{t('dashboards.noQueries')}</p>;
  else if (panel.type === 'timeseries') body = <TimeseriesPanel panel={panel} ctx={ctx} heightPx={bodyPx} />;
  else if (panel.type === 'table') body = <TablePanel panel={panel} ctx={ctx} />;
  else body = <ValuePanel panel={panel} ctx={ctx} />;
  return (
    <section
      className="panel dash-panel"
      data-panel={id}
      data-type={panel.type}
      aria-labelledby={`panel-${id}`}
      style={{ ...style, '--panel-h': `${heightPx}px` } as CSSProperties}
    >
      <header className="panel-head">
        <h3 id={`panel-${id}`} title={panel.description}>
          {title === '' ? '\u00a0' : title}
        </h3>
        {toolbar}
      </header>
      <div className="panel-body">{body}</div>
    </section>
  );
}
