import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorMessage } from '../../base/errors.js';
import {
  METRIC_NAME,
  labelNameRe,
  metricNameRe,
  sortLabels,
  type Label,
  type Labels,
} from '../../model/labels.js';
import type { Registry } from '../../exposition/registry.js';
import { systemClock, type Clock } from '../../base/clock.js';
import {
  decodeWriteRequestColumns,
  labelsAt,
  type WriteRequestColumns,
} from '../../remotewrite/write-request.js';
import type { Appendable, AppendRejection } from '../../storage/storage.js';
import { WireLabelsCache } from './wire-labels-cache.js';

/**
 * The Prometheus remote_write 1.0 receiver (https://prometheus.io/docs/specs/remote_write_spec/):
 * `POST /api/v1/write` with a snappy-compressed protobuf body.
 *
 * - 204 once every accepted sample is committed (durable) in the appendable.
 * - 400 (text/plain, naming the value and the limit) for a body that does not decode or breaks a
 *   limit or label rule; nothing of such a request is written. Senders drop 4xx batches.
 * - 413 for a body over `maxBodyBytes`.
 * - Samples the store rejects (out of order, duplicate, too old) are counted in
 *   `kanshi_ingest_samples_rejected_total{reason}` and the request still succeeds, as Prometheus
 *   does, so a sender does not retry them forever.
 * - 500 when the commit fails: the sender retries.
 *
 * The hot path: the body is decoded into typed arrays (src/remotewrite `decodeWriteRequestColumns`),
 * and a series whose label bytes were seen before takes its validated, sorted labels from a
 * {@link WireLabelsCache} instead of decoding them again.
 */

/** Per-request limits. Lengths are in UTF-8 bytes. */
export interface RemoteWriteLimits {
  /** Largest compressed body accepted (bytes). */
  readonly maxBodyBytes: number;
  /** Largest uncompressed protobuf (bytes); default 16 × maxBodyBytes. */
  readonly maxUncompressedBytes?: number;
  readonly maxSeriesPerRequest: number;
  readonly maxLabelsPerSeries: number;
  readonly maxLabelNameLength: number;
  readonly maxLabelValueLength: number;
}

/** Options of {@link registerRemoteWrite}. */
export interface RemoteWriteOptions {
  /** Where samples go; one appender per request. */
  readonly appendable: Appendable;
  readonly limits: RemoteWriteLimits;
  /** Receives `kanshi_ingest_*` metrics when given. */
  readonly registry?: Registry;
  /**
   * Told after a request is committed, with its series and User-Agent (the heartbeat counts a
   * reporting agent). Must not throw; an exception is logged and the request still succeeds.
   */
  readonly onCommitted?: (series: readonly Labels[], userAgent: string | undefined) => void;
  /** Ages the cache of series labels seen (default: the system clock). */
  readonly clock?: Clock;
}

const PROTOBUF = 'application/x-protobuf';

/**
 * Mounts `POST /api/v1/write` on `app` in an encapsulated scope (its protobuf body parser and
 * error handler do not leak into the rest of the server). Available after `app.ready()`.
 */
export function registerRemoteWrite(app: FastifyInstance, opts: RemoteWriteOptions): void {
  const { limits, appendable } = opts;
  const metrics = opts.registry && {
    requests: opts.registry.counter(
      'kanshi_ingest_remote_write_requests_total',
      'Remote write requests received, by HTTP status code.',
    ),
    appended: opts.registry.counter(
      'kanshi_ingest_samples_appended_total',
      'Samples accepted from remote write.',
    ),
    rejected: opts.registry.counter(
      'kanshi_ingest_samples_rejected_total',
      'Samples of successful remote write requests the store rejected, by reason.',
    ),
  };
  const maxUncompressedBytes = limits.maxUncompressedBytes ?? limits.maxBodyBytes * 16;
  const seen = new WireLabelsCache({ clock: opts.clock ?? systemClock });

  void app.register((scope, _pluginOpts, done) => {
    scope.addContentTypeParser(
      PROTOBUF,
      { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes },
      (_req, body, cb) => {
        cb(null, body);
      },
    );
    scope.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return send(reply, 413, `request body is over the limit of ${limits.maxBodyBytes} bytes`);
      }
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return send(reply, 415, `unsupported content type: remote write needs ${PROTOBUF}`);
      }
      const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
      return send(reply, status, err.message);
    });

    const onRequest = (req: FastifyRequest, reply: FastifyReply, hookDone: () => void): void => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== PROTOBUF) {
        void send(
          reply,
          415,
          `unsupported content type ${JSON.stringify(type)}: remote write needs ${PROTOBUF}`,
        );
        return;
      }
      hookDone();
    };
    scope.post('/api/v1/write', { bodyLimit: limits.maxBodyBytes, onRequest }, async (req, reply) => {
      if (!(req.body instanceof Uint8Array)) {
        return send(reply, 415, `unsupported content type: remote write needs ${PROTOBUF}`);
      }
      let cols;
      let seriesLabels: Labels[];
      try {
        cols = decodeWriteRequestColumns(req.body, { maxUncompressedBytes });
        seriesLabels = resolveLabels(cols, limits, seen);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'bad_input' || err.code === 'limit')) {
          return send(reply, 400, err.message);
        }
        throw err;
      }
      const app = appendable.appender();
      let appended = 0;
      let rejected: Map<AppendRejection, number> | undefined;
      const { ts, vs, sampleStart } = cols;
      for (let i = 0; i < cols.numSeries; i++) {
        const labels = seriesLabels[i]!;
        for (let j = sampleStart[i]!, end = sampleStart[i + 1]!; j < end; j++) {
          const why = app.append(labels, ts[j]!, vs[j]!);
          if (why === null) appended++;
          else {
            rejected ??= new Map();
            rejected.set(why, (rejected.get(why) ?? 0) + 1);
          }
        }
      }
      try {
        await app.commit();
      } catch (err) {
        req.log.error({ err }, 'remote write: commit failed');
        return send(reply, 500, `commit failed: ${errorMessage(err)}`);
      }
      try {
        opts.onCommitted?.(seriesLabels, req.headers['user-agent']);
      } catch (err) {
        req.log.error({ err }, 'remote write: the after-commit hook failed');
      }
      if (metrics) {
        metrics.appended.inc({}, appended);
        if (rejected) for (const [reason, n] of rejected) metrics.rejected.inc({ reason }, n);
      }
      if (rejected) {
        req.log.debug(
          { rejected: Object.fromEntries(rejected) },
          'remote write: samples rejected by the store',
        );
      }
      return send(reply, 204, '');
    });

    scope.addHook('onResponse', (_req, reply, hookDone) => {
      metrics?.requests.inc({ code: String(reply.statusCode) });
      hookDone();
    });
    done();
  });
}

function send(reply: FastifyReply, status: number, message: string): FastifyReply {
  if (status === 204) return reply.code(204).send();
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * The validated, sorted labels of every series of the request: from `seen` when the series' label
 * bytes were seen before, else decoded, checked by {@link validateSeries} and remembered. Throws
 * AppError `bad_input` naming the first offending series and value (nothing is appended then).
 */
function resolveLabels(
  cols: WriteRequestColumns,
  limits: RemoteWriteLimits,
  seen: WireLabelsCache,
): Labels[] {
  if (cols.numSeries > limits.maxSeriesPerRequest) {
    throw new AppError(
      'bad_input',
      `request has ${cols.numSeries} series, over the limit of ${limits.maxSeriesPerRequest} (max_series_per_request)`,
    );
  }
  const out: Labels[] = new Array<Labels>(cols.numSeries);
  for (let i = 0; i < cols.numSeries; i++) {
    const start = cols.labelsStart[i]!;
    const end = cols.labelsEnd[i]!;
    let labels = end > 0 ? seen.get(cols.raw, start, end) : undefined;
    if (labels === undefined) {
      labels = validateSeries(labelsAt(cols, i), `series ${i}`, limits);
      if (end > 0) labels = seen.set(cols.raw, start, end, labels);
    }
    out[i] = labels;
  }
  return out;
}

/**
 * Checks one series' labels against the limits and label rules; returns them sorted (a sender
 * may send them unsorted) without empty values. Throws AppError `bad_input` naming the series
 * (`where`) and the offending value.
 */
function validateSeries(labels: readonly Label[], where: string, limits: RemoteWriteLimits): Labels {
  if (labels.length > limits.maxLabelsPerSeries) {
    throw new AppError(
      'bad_input',
      `${where} has ${labels.length} labels, over the limit of ${limits.maxLabelsPerSeries} (max_labels_per_series)`,
    );
  }
  const names = new Set<string>();
  let name = '';
  for (const l of labels) {
    if (names.has(l.name)) throw new AppError('bad_input', `${where}: duplicate label name "${l.name}"`);
    names.add(l.name);
    if (!labelNameRe.test(l.name))
      throw new AppError('bad_input', `${where}: invalid label name "${l.name}"`);
    if (utf8Length(l.name) > limits.maxLabelNameLength) {
      throw new AppError(
        'bad_input',
        `${where}: label name "${l.name.slice(0, 64)}" is longer than the limit of ${limits.maxLabelNameLength} bytes (max_label_name_length)`,
      );
    }
    if (utf8Length(l.value) > limits.maxLabelValueLength) {
      throw new AppError(
        'bad_input',
        `${where}: value of label "${l.name}" ("${l.value.slice(0, 64)}…") is longer than the limit of ${limits.maxLabelValueLength} bytes (max_label_value_length)`,
      );
    }
    if (l.name === METRIC_NAME) name = l.value;
  }
  if (!metricNameRe.test(name)) {
    throw new AppError('bad_input', `${where}: missing or invalid metric name ${JSON.stringify(name)}`);
  }
  return sortLabels(labels);
}
