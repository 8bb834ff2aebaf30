import type { DashboardsKey } from './dashboards.en.js';

/** Japanese strings of the Dashboards pages: one for every English key of dashboards.en.ts. */
export const dashboardsJa: Record<DashboardsKey, string> = {
  'dashboards.title': 'ダッシュボード',
};
