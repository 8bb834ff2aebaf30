/**
 * The markdown of text panels, a safe subset: headings (`#` to `######`), paragraphs, `-`/`*`
 * and `1.` lists, fenced code blocks, `**bold**`, `*em*`/`_em_`, `` `code` `` and
 * `[links](https://…)`. The result is a tree the panel renders as React elements, so any HTML in
 * the text shows as text: nothing is ever parsed as HTML. Links keep only http(s), mailto and
 * relative targets. Pure.
 */

/** Inline content. */
export type MdInline =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'strong' | 'em'; readonly children: readonly MdInline[] }
  | { readonly type: 'code'; readonly text: string }
  | { readonly type: 'link'; readonly href: string; readonly children: readonly MdInline[] }
  | { readonly type: 'br' };

/** Block content. */
export type MdBlock =
  | {
      readonly type: 'heading';
      readonly level: 1 | 2 | 3 | 4 | 5 | 6;
      readonly children: readonly MdInline[];
    }
  | { readonly type: 'paragraph'; readonly children: readonly MdInline[] }
  | { readonly type: 'list'; readonly ordered: boolean; readonly items: readonly (readonly MdInline[])[] }
  | { readonly type: 'code'; readonly text: string };

/** Whether a link target is safe to follow (no `javascript:` and the like). */
export function isSafeHref(href: string): boolean {
  const h = href.trim();
  if (/^(https?:|mailto:)/i.test(h)) return true;
  // Relative: no scheme before the first slash, question mark or hash.
  return !/^[a-z][a-z0-9+.-]*:/i.test(h);
}

/** Parses inline markup of one block's text. */
export function parseInline(text: string): MdInline[] {
  const out: MdInline[] = [];
  let buf = '';
  const flush = () => {
    if (buf !== '') out.push({ type: 'text', text: buf });
    buf = '';
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const ch = text[i] ?? '';
    if (ch === '\\' && i + 1 < text.length && /[\\`*_[\]()#!-]/.test(text[i + 1] ?? '')) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '\n') {
      flush();
      out.push({ type: 'br' });
      i++;
      continue;
    }
    let m = /^`([^`]+)`/.exec(rest);
    if (m) {
      flush();
      out.push({ type: 'code', text: m[1] ?? '' });
      i += m[0].length;
      continue;
    }
    m = /^\*\*(.+?)\*\*/s.exec(rest) ?? /^__(.+?)__/s.exec(rest);
    if (m) {
      flush();
      out.push({ type: 'strong', children: parseInline(m[1] ?? '') });
      i += m[0].length;
      continue;
    }
    m = /^\*([^*\s](?:[^*]*[^*\s])?)\*/s.exec(rest) ?? /^_([^_\s](?:[^_]*[^_\s])?)_/s.exec(rest);
    if (m) {
      flush();
      out.push({ type: 'em', children: parseInline(m[1] ?? '') });
      i += m[0].length;
      continue;
    }
    m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest);
    if (m) {
      flush();
      const href = m[2] ?? '';
      const children = parseInline(m[1] ?? '');
      if (isSafeHref(href)) out.push({ type: 'link', href, children });
      else out.push(...children);
      i += m[0].length;
      continue;
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}

/** Parses `source` into blocks. */
export function parseMarkdown(source: string): MdBlock[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: MdBlock[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | undefined;
  const endPara = () => {
    if (para.length > 0) blocks.push({ type: 'paragraph', children: parseInline(para.join('\n')) });
    para = [];
  };
  const endList = () => {
    if (list) blocks.push({ type: 'list', ordered: list.ordered, items: list.items.map(parseInline) });
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\s*```/.test(line)) {
      endPara();
      endList();
      const code: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i] ?? '')) code.push(lines[i++] ?? '');
      blocks.push({ type: 'code', text: code.join('\n') });
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      endPara();
      endList();
      blocks.push({
        type: 'heading',
        level: (h[1] ?? '#').length as 1 | 2 | 3 | 4 | 5 | 6,
        children: parseInline(h[2] ?? ''),
      });
      continue;
    }
    const li = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (li) {
      endPara();
      const ordered = li[2] !== undefined;
      if (list && list.ordered !== ordered) endList();
      list ??= { ordered, items: [] };
      list.items.push(li[3] ?? '');
      continue;
    }
    if (line.trim() === '') {
      endPara();
      endList();
      continue;
    }
    if (list && /^\s+\S/.test(line)) {
      // A continuation line of the last item.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    endList();
    para.push(line);
  }
  endPara();
  endList();
  return blocks;
}

/** The text of HTML-mode content with tags removed (text panels never render raw HTML). */
export function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li)>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
