/**
 * The logging port. Its shape is pino's (`log.info({ fields }, 'message')`), so the composition
 * root passes a pino logger and tests pass {@link nullLogger} or a recording one.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** A logger whose lines carry `fields` too. */
  child(fields: object): Logger;
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => nullLogger,
};

/** One line a {@link RecordingLogger} kept. */
export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps its lines in memory, for tests that assert on what was logged. */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[];
  readonly #fields: object;

  constructor(records: LogRecord[] = [], fields: object = {}) {
    this.records = records;
    this.#fields = fields;
  }

  #add(level: LogRecord['level'], fields: object, message: string): void {
    this.records.push({ level, fields: { ...this.#fields, ...fields }, message });
  }

  debug(fields: object, message: string): void {
    this.#add('debug', fields, message);
  }
  info(fields: object, message: string): void {
    this.#add('info', fields, message);
  }
  warn(fields: object, message: string): void {
    this.#add('warn', fields, message);
  }
  error(fields: object, message: string): void {
    this.#add('error', fields, message);
  }
  child(fields: object): Logger {
    return new RecordingLogger(this.records, { ...this.#fields, ...fields });
  }
}
