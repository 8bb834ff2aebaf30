import type { CheckStatus } from '../model/check.js';

/**
 * Reads the body of a `/health` or `/healthz` endpoint. Understood shapes:
 * - draft-inadarei-api-health-check (https://datatracker.ietf.org/doc/html/draft-inadarei-api-health-check-06):
 *   `{"status": "pass|warn|fail", "output": "…", "checks": {"name": [{"status": …, "output": …}]}}`
 *   with its aliases `ok`/`up` for pass and `error`/`down` for fail;
 * - Spring Boot Actuator: `{"status": "UP", "components": {"db": {"status": "DOWN"}}}`;
 * - NestJS Terminus: `{"status": "error", "error": {"db": {"status": "down", "message": …}}}`;
 * - plain text: `ok` (also `pass`, `up`, `healthy`, `alive`, `ready`) is OK; other text carries no
 *   verdict, the HTTP status code decides.
 * Pure: no I/O.
 */

/** One sub-check that is not passing. */
export interface HealthFailure {
  /** The key in `checks`/`components`/`details`/`error` (`db`, `cache:responseTime`). */
  readonly name: string;
  /** The status as the body spelled it. */
  readonly status: string;
  readonly output?: string;
}

/** What a health body says. */
export interface HealthEvaluation {
  /** The verdict; undefined when the body carries none (unknown text, no status field). */
  readonly status?: CheckStatus;
  /** `json` when the body parsed as a health object, else `text`. */
  readonly format: 'json' | 'text';
  /** The top-level status as spelled (`pass`, `UP`), when there was one. */
  readonly rawStatus?: string;
  /** Sub-checks that are warn/fail, in body order. */
  readonly failing: readonly HealthFailure[];
  /** A summary for check messages: `health fail: db (fail: connection refused), cache (warn)`. */
  readonly message: string;
}

/** Maps a health status word (any case) to a check status; undefined for words it does not know. */
export function healthStatus(word: string): CheckStatus | undefined {
  switch (word.trim().toLowerCase()) {
    case 'pass':
    case 'ok':
    case 'up':
    case 'healthy':
      return 'OK';
    case 'warn':
    case 'warning':
    case 'degraded':
      return 'WARNING';
    case 'fail':
    case 'error':
    case 'down':
    case 'unhealthy':
    case 'critical':
    case 'out_of_service':
      return 'CRITICAL';
    case 'unknown':
      return 'UNKNOWN';
    default:
      return undefined;
  }
}

const okTexts = new Set(['ok', 'pass', 'up', 'healthy', 'alive', 'ready']);

/** Evaluates a health endpoint's body (see the module comment). Never throws. */
export function evaluateHealthBody(body: string): HealthEvaluation {
  const trimmed = body.trim();
  let doc: unknown;
  if (trimmed.startsWith('{')) {
    try {
      doc = JSON.parse(trimmed);
    } catch {
      doc = undefined;
    }
  }
  if (!isRecord(doc)) {
    const word = trimmed.toLowerCase().replace(/[.!]$/, '');
    if (okTexts.has(word)) return { status: 'OK', format: 'text', failing: [], message: `health ${trimmed}` };
    return { format: 'text', failing: [], message: '' };
  }

  const failing: HealthFailure[] = [];
  let worstSub: CheckStatus | undefined;
  const note = (name: string, entry: unknown): void => {
    if (!isRecord(entry) || typeof entry['status'] !== 'string') return;
    const s = healthStatus(entry['status']);
    if (s === undefined || s === 'OK') return;
    worstSub = worstSub === undefined ? s : worse(worstSub, s);
    const output = firstString(entry['output'], entry['message'], entry['error']);
    failing.push({ name, status: entry['status'], ...(output !== undefined && { output }) });
  };
  for (const key of ['checks', 'components', 'details', 'error']) {
    const map = doc[key];
    if (!isRecord(map)) continue;
    for (const [name, entries] of Object.entries(map)) {
      // Terminus repeats failures under both `error` and `details`: list each name once.
      if (failing.some((f) => f.name === name)) continue;
      if (Array.isArray(entries)) for (const e of entries) note(name, e);
      else note(name, entries);
    }
  }

  const rawStatus = typeof doc['status'] === 'string' ? doc['status'] : undefined;
  const top = rawStatus === undefined ? undefined : healthStatus(rawStatus);
  // The top-level status is the service's own verdict; sub-checks decide only when it is absent.
  let status = top ?? worstSub;
  if (rawStatus !== undefined && top === undefined) status = 'UNKNOWN';

  const parts: string[] = [];
  if (rawStatus !== undefined) {
    parts.push(
      top === undefined ? `unknown health status ${JSON.stringify(rawStatus)}` : `health ${rawStatus}`,
    );
  } else if (status !== undefined) {
    parts.push('health');
  }
  const output = firstString(doc['output'], doc['message']);
  if (output !== undefined) parts.push(`(${output})`);
  let message = parts.join(' ');
  if (failing.length > 0) {
    const list = failing.map(
      (f) => `${f.name} (${f.status}${f.output !== undefined ? `: ${f.output}` : ''})`,
    );
    message += `${message === '' ? '' : ': '}${list.join(', ')}`;
  }
  return {
    ...(status !== undefined && { status }),
    format: 'json',
    ...(rawStatus !== undefined && { rawStatus }),
    failing,
    message,
  };
}

function worse(a: CheckStatus, b: CheckStatus): CheckStatus {
  const rank: Record<CheckStatus, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };
  return rank[b] > rank[a] ? b : a;
}

function firstString(...vs: unknown[]): string | undefined {
  for (const v of vs) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
