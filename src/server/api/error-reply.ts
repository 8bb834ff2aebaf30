import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, errorMessage } from '../../base/errors.js';
import { ApiError, statusForErrorType } from './v1/params.js';

/**
 * Prometheus's error envelope for our JSON APIs that share it (admin, history): the HTTP status of
 * the error type and `{"status":"error","errorType":…,"error":…}`.
 */
export function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply
    .code(statusForErrorType[err.type])
    .header('content-type', 'application/json')
    .send(JSON.stringify({ status: 'error', errorType: err.type, error: err.message }));
}

/** A handler's failure as an API error: an ApiError as it is, AppError `bad_input` as `bad_data`, the rest `internal`. */
export function toBadDataOrInternal(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof AppError && err.code === 'bad_input') return new ApiError('bad_data', err.message);
  return new ApiError('internal', errorMessage(err), { cause: err });
}

/**
 * Makes `scope` answer Fastify's own errors (unparsable bodies, bad content types) in the envelope:
 * a 4xx as `bad_data`, anything else as `internal`.
 */
export function useApiErrorHandler(scope: FastifyInstance): void {
  scope.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    return sendApiError(reply, new ApiError(status >= 500 ? 'internal' : 'bad_data', err.message));
  });
}
