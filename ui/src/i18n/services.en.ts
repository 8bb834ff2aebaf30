/** English strings of the Services pages (merged into en.ts; same rules). */
export const servicesEn = {
  'services.title': 'Services',
} as const;

/** A key of the Services pages' strings. */
export type ServicesKey = keyof typeof servicesEn;
