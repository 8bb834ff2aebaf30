import { describe, expect, it } from 'vitest';
import { isSafeHref, parseInline, parseMarkdown, stripHtml } from './dashboard-markdown.js';

describe('parseInline', () => {
  it.each([
    ['plain', [{ type: 'text', text: 'plain' }]],
    [
      'a **b** *c* `d`',
      [
        { type: 'text', text: 'a ' },
        { type: 'strong', children: [{ type: 'text', text: 'b' }] },
        { type: 'text', text: ' ' },
        { type: 'em', children: [{ type: 'text', text: 'c' }] },
        { type: 'text', text: ' ' },
        { type: 'code', text: 'd' },
      ],
    ],
    [
      '[runbook](https://example.org/r)',
      [{ type: 'link', href: 'https://example.org/r', children: [{ type: 'text', text: 'runbook' }] }],
    ],
    [
      '[x](javascript:alert(1))',
      [
        { type: 'text', text: 'x' },
        { type: 'text', text: ')' },
      ],
    ],
    ['<b>not html</b>', [{ type: 'text', text: '<b>not html</b>' }]],
    ['2 * 3 * 4', [{ type: 'text', text: '2 * 3 * 4' }]],
    ['\\*literal\\*', [{ type: 'text', text: '*literal*' }]],
    ['a\nb', [{ type: 'text', text: 'a' }, { type: 'br' }, { type: 'text', text: 'b' }]],
  ])('%s', (src, want) => {
    expect(parseInline(src)).toEqual(want);
  });
});

describe('parseMarkdown', () => {
  it('reads headings, paragraphs, lists and code blocks', () => {
    const md =
      '# Title\n\nSome *text*\nmore\n\n- one\n- two\n  continued\n1. first\n\n```\n<script>x</script>\n```\n';
    expect(parseMarkdown(md)).toEqual([
      { type: 'heading', level: 1, children: [{ type: 'text', text: 'Title' }] },
      {
        type: 'paragraph',
        children: [
          { type: 'text', text: 'Some ' },
          { type: 'em', children: [{ type: 'text', text: 'text' }] },
          { type: 'br' },
          { type: 'text', text: 'more' },
        ],
      },
      {
        type: 'list',
        ordered: false,
        items: [[{ type: 'text', text: 'one' }], [{ type: 'text', text: 'two continued' }]],
      },
      { type: 'list', ordered: true, items: [[{ type: 'text', text: 'first' }]] },
      { type: 'code', text: '<script>x</script>' },
    ]);
  });
});

describe('isSafeHref and stripHtml', () => {
  it.each([
    ['https://a', true],
    ['mailto:x@y', true],
    ['/dashboards/node', true],
    ['#x', true],
    ['javascript:alert(1)', false],
    ['JaVaScRiPt:x', false],
    ['data:text/html,x', false],
  ])('%s → %s', (href, want) => {
    expect(isSafeHref(href)).toBe(want);
  });
  it('keeps the text of HTML and drops scripts', () => {
    expect(stripHtml('<p>a &amp; b</p><script>evil()</script><br>c')).toBe('a & b\n\n\nc');
  });
});
