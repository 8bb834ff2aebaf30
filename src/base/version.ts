/** Kanshi's version, as `kanshi --version` and /api/v1/status/buildinfo report it. */
export const KANSHI_VERSION = '0.1.0';
