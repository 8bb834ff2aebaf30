/** English strings of the Dashboards pages (merged into en.ts; same rules). */
export const dashboardsEn = {
  'dashboards.title': 'Dashboards',
} as const;

/** A key of the Dashboards pages' strings. */
export type DashboardsKey = keyof typeof dashboardsEn;
