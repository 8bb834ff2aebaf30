import { pino } from 'pino';
import type { Logger } from '../base/logger.js';

/** The process's logger: JSON lines on stderr (stdout stays for what commands print). */
export function createLogger(level: string): Logger {
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
