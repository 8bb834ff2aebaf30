import type { SilenceMatcher } from './matcher.js';

/** A silence, times in ms since the epoch. */
export interface Silence {
  /** UUID v4. */
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly updatedAtMs: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** Alertmanager's silence states. */
export type SilenceState = 'pending' | 'active' | 'expired';

/** The state of `s` at `atMs`. */
export function silenceState(s: Pick<Silence, 'startsAtMs' | 'endsAtMs'>, atMs: number): SilenceState {
  if (atMs < s.startsAtMs) return 'pending';
  if (atMs > s.endsAtMs) return 'expired';
  return 'active';
}
