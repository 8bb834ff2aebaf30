import type { ServicesKey } from './services.en.js';

/** Japanese strings of the Services pages: one for every English key of services.en.ts. */
export const servicesJa: Record<ServicesKey, string> = {
  'services.title': 'サービス',
};
