/**
 * Translation of Go RE2 regular expressions (what PromQL matchers and `label_replace` use) into
 * JavaScript RegExp source for the `su` flags: RE2's inline flags `(?i)` / `(?i:…)`, `\z`, `\A`,
 * `\Q…\E`, `(?P<name>…)`, POSIX classes `[[:alpha:]]`, `\pL`, and escaped punctuation that the
 * `u` flag would reject. Anything else passes through unchanged.
 */

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const syntaxChars = new Set('^$\\.*+?()[]{}|/');

const isLetter = (c: string): boolean => /^[a-zA-Z]$/.test(c);

function otherCase(c: string): string {
  const u = c.toUpperCase();
  return u === c ? c.toLowerCase() : u;
}

const translated = new Map<string, string>();

/** The JavaScript RegExp source (for flags `su`) equivalent to the RE2 pattern `re`. */
export function translateRe2(re: string): string {
  const cached = translated.get(re);
  if (cached !== undefined) return cached;
  let out = '';
  // Case-insensitivity per open group; index 0 is the top level.
  const ciStack: boolean[] = [false];
  const ci = (): boolean => ciStack[ciStack.length - 1]!;
  let i = 0;
  while (i < re.length) {
    const c = re[i]!;
    if (c === '\\') {
      const e = re[i + 1] ?? '';
      if (e === 'Q') {
        const end = re.indexOf('\\E', i + 2);
        const lit = end < 0 ? re.slice(i + 2) : re.slice(i + 2, end);
        for (const ch of lit) out += literal(ch, ci());
        i = end < 0 ? re.length : end + 2;
        continue;
      }
      if (e === 'z') {
        out += '$';
        i += 2;
        continue;
      }
      if (e === 'A') {
        out += '^';
        i += 2;
        continue;
      }
      if ((e === 'p' || e === 'P') && re[i + 2] !== '{') {
        out += `\\${e}{${re[i + 2] ?? ''}}`;
        i += 3;
        continue;
      }
      if (e !== '' && !/[a-zA-Z0-9]/.test(e)) {
        out += literal(e, false);
        i += 2;
        continue;
      }
      out += c + e;
      i += 2;
      continue;
    }
    if (c === '[') {
      const [cls, end] = translateClass(re, i, ci());
      out += cls;
      i = end;
      continue;
    }
    if (c === '(') {
      const flags = /^\(\?([imsU-]*)(\)|:)/.exec(re.slice(i));
      if (flags) {
        const on = flags[1]!.split('-')[0]!;
        const off = flags[1]!.split('-')[1] ?? '';
        const newCi = on.includes('i') ? true : off.includes('i') ? false : ci();
        if (flags[2] === ')') {
          ciStack[ciStack.length - 1] = newCi;
        } else {
          ciStack.push(newCi);
          out += '(?:';
        }
        i += flags[0].length;
        continue;
      }
      if (re.startsWith('(?P<', i)) {
        ciStack.push(ci());
        out += '(?<';
        i += 4;
        continue;
      }
      ciStack.push(ci());
      out += c;
      i++;
      continue;
    }
    if (c === ')') {
      if (ciStack.length > 1) ciStack.pop();
      out += c;
      i++;
      continue;
    }
    out += ci() && isLetter(c) ? `[${c}${otherCase(c)}]` : c;
    i++;
  }
  if (translated.size > 10_000) translated.clear();
  translated.set(re, out);
  return out;
}

function literal(ch: string, ci: boolean): string {
  if (ci && isLetter(ch)) return `[${ch}${otherCase(ch)}]`;
  if (syntaxChars.has(ch)) return `\\${ch}`;
  return ch;
}

/** Translates the character class starting at `start` (a `[`); returns it and the index after it. */
function translateClass(re: string, start: number, ci: boolean): [string, number] {
  let i = start + 1;
  let out = '[';
  if (re[i] === '^') {
    out += '^';
    i++;
  }
  if (re[i] === ']') {
    out += '\\]';
    i++;
  }
  const extra: string[] = [];
  while (i < re.length && re[i] !== ']') {
    const posix = /^\[:(\^?)([a-z]+):\]/.exec(re.slice(i));
    if (posix && posixClasses[posix[2]!] !== undefined && posix[1] === '') {
      out += posixClasses[posix[2]!];
      i += posix[0].length;
      continue;
    }
    const c = re[i]!;
    if (c === '\\') {
      const e = re[i + 1] ?? '';
      if ((e === 'p' || e === 'P') && re[i + 2] !== '{') {
        out += `\\${e}{${re[i + 2] ?? ''}}`;
        i += 3;
        continue;
      }
      out += !/[a-zA-Z0-9]/.test(e) && e !== '' ? `\\${e}` : c + e;
      i += 2;
      continue;
    }
    if (c === '[') {
      out += '\\[';
      i++;
      continue;
    }
    if (ci && isLetter(c) && re[i + 1] === '-' && isLetter(re[i + 2] ?? '')) {
      const to = re[i + 2]!;
      out += `${c}-${to}`;
      extra.push(`${otherCase(c)}-${otherCase(to)}`);
      i += 3;
      continue;
    }
    if (ci && isLetter(c)) extra.push(otherCase(c));
    out += c === '/' ? '\\/' : c;
    i++;
  }
  out += extra.join('') + ']';
  return [out, i + 1];
}
