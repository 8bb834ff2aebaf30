/**
 * Go's fmt formatting of numbers and values, as Prometheus templates print them (`%.4g`, `%v`,
 * `printf`). Integers are bigint (Go int), everything else numeric is number (Go float64).
 */

/** Go's `strconv.FormatFloat(v, 'g', prec, 64)`; `prec` -1 is the shortest exact form (`%v`). */
export function formatGoG(v: number, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const shortest = prec < 0;
  const exp0 = shortest ? v.toExponential() : v.toExponential(Math.max(prec, 1) - 1);
  const [mant = '', expText = '0'] = exp0.split('e');
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(expText);
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = shortest ? 6 : Math.max(prec, 1);
  if (!shortest && eprec > nd && nd >= dp) eprec = nd;
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const m = nd > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= nd) return `${sign}${digits}${'0'.repeat(dp - nd)}`;
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** Go's `%v` of a float64: the shortest form, exponent when it is < -4 or ≥ 6 (`1e+06`). */
export function formatGoFloat(v: number): string {
  return formatGoG(v, -1);
}

/** Go's `%e` with `prec` digits after the point. */
function formatGoE(v: number, prec: number): string {
  if (!Number.isFinite(v)) return formatGoG(v, 1);
  const [m = '', e = '0'] = v.toExponential(prec).split('e');
  const n = Number(e);
  const a = Math.abs(n);
  return `${m}e${n < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
}

/** Go's `%v` of any template value. */
export function formatGoValue(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatGoFloat(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatGoValue).join(' ')}]`;
  if (v instanceof Map) {
    const keys = [...(v as Map<string, unknown>).keys()].sort();
    return `map[${keys.map((k) => `${k}:${formatGoValue((v as Map<string, unknown>).get(k))}`).join(' ')}]`;
  }
  if (typeof v === 'object') {
    return `{${Object.values(v as Record<string, unknown>)
      .map(formatGoValue)
      .join(' ')}}`;
  }
  return typeof v === 'symbol' ? v.toString() : '<func>';
}

function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function goTypeName(v: unknown): string {
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === undefined || v === null) return '<nil>';
  return 'interface {}';
}

/** Go's `fmt.Sprintf` for the verbs templates use: %s %d %f %e %g %v %q %x %t %%, flags `-+0 `, width, precision. */
export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const flags = m[1] ?? '';
    const width = m[2] === undefined ? 0 : Number(m[2]);
    const prec = m[3] === undefined ? undefined : m[3] === '' ? 0 : Number(m[3]);
    const verb = m[4] ?? 'v';
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    let s: string;
    const bad = (): string => `%!${verb}(${goTypeName(a)}=${formatGoValue(a)})`;
    let numeric = false;
    switch (verb) {
      case 'v':
        s = typeof a === 'number' && prec !== undefined ? formatGoG(a, prec) : formatGoValue(a);
        numeric = typeof a === 'number' || typeof a === 'bigint';
        break;
      case 's':
        s =
          typeof a === 'string'
            ? a
            : typeof a === 'number' || typeof a === 'bigint'
              ? bad()
              : formatGoValue(a);
        if (prec !== undefined && typeof a === 'string') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = typeof a === 'string' ? goQuote(a) : bad();
        break;
      case 'd':
        s = typeof a === 'bigint' ? a.toString() : bad();
        numeric = typeof a === 'bigint';
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : bad();
        break;
      case 'x':
      case 'X':
        if (typeof a === 'bigint') s = a.toString(16);
        else if (typeof a === 'string') s = Buffer.from(a, 'utf8').toString('hex');
        else s = bad();
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'g': {
        const x = typeof a === 'number' ? a : undefined;
        if (x === undefined) {
          s = bad();
          break;
        }
        numeric = true;
        if (!Number.isFinite(x)) s = formatGoG(x, 1);
        else if (verb === 'e') s = formatGoE(x, prec ?? 6);
        else if (verb === 'g') s = formatGoG(x, prec ?? -1);
        else s = x.toFixed(prec ?? 6);
        break;
      }
      default:
        s = `%!${verb}(${goTypeName(a)}=${formatGoValue(a)})`;
    }
    if (numeric && flags.includes('+') && !s.startsWith('-') && !s.startsWith('+')) s = `+${s}`;
    else if (numeric && flags.includes(' ') && !s.startsWith('-')) s = ` ${s}`;
    if (s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width);
      else if (flags.includes('0') && numeric) {
        const signed = /^[-+ ]/.test(s);
        s = signed ? s[0]! + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0');
      } else s = s.padStart(width);
    }
    out += s;
  }
  out += format.slice(last);
  if (argi < args.length)
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${formatGoValue(a)}`)
      .join(', ')})`;
  return out;
}
