/**
 * Errors. Outcomes are values (a check status, a rejected sample, config diagnostics); failures
 * that a caller may handle are {@link AppError}s with a stable code; broken invariants are
 * {@link BugError}s. Only the HTTP layer maps codes to statuses.
 */

/** Stable failure codes; the HTTP layer maps them to statuses. */
export type ErrorCode =
  | 'bad_input'
  | 'not_found'
  | 'conflict'
  | 'limit'
  | 'unavailable'
  | 'timeout'
  | 'canceled'
  | 'io'
  | 'internal';

/** A failure with a code a caller can act on. The message starts lowercase and names the value. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A broken invariant: a bug in Kanshi, never the user's input. */
export class BugError extends Error {
  override readonly name = 'BugError';
}

/** The message of anything thrown, for logs and statuses. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
