/**
 * Samples and Prometheus's staleness marker: a NaN with a specific bit pattern
 * (0x7ff0000000000002) that ends a series, distinct from a NaN value a target reports.
 */

/** The staleness marker's bits, as Prometheus's value.StaleNaN. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const scratch = new DataView(new ArrayBuffer(8));
scratch.setBigUint64(0, STALE_NAN_BITS);

/** The staleness marker value. Compare with {@link isStaleNaN}, never with `===`. */
export const STALE_NAN: number = scratch.getFloat64(0);

/** Whether `v` is the staleness marker (and not any other NaN). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  scratch.setFloat64(0, v);
  return scratch.getBigUint64(0) === STALE_NAN_BITS;
}

/** One float sample: a time in milliseconds since the epoch and a value. */
export interface Sample {
  readonly t: number;
  readonly v: number;
}
