import { AppError } from '../../base/errors.js';

/**
 * A syntax or type error in a PromQL query, with its position. The message reads like
 * Prometheus's: `1:5: parse error: unexpected end of input`; {@link ParseError.detail} is the part
 * after `parse error: `.
 */
export class ParseError extends AppError {
  /** Character offset into the query. */
  readonly position: number;
  /** 1-based line and column of {@link position}. */
  readonly line: number;
  readonly column: number;
  readonly detail: string;

  constructor(detail: string, position: number, query: string) {
    const before = query.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    super('bad_input', `${line}:${column}: parse error: ${detail}`);
    this.position = position;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}
