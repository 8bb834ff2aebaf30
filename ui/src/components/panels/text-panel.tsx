import type { ReactNode } from 'react';
import { parseMarkdown, stripHtml, type MdBlock, type MdInline } from '../../lib/dashboard-markdown.js';

function inline(nodes: readonly MdInline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.type) {
      case 'text':
        return n.text;
      case 'br':
        return <br key={i} />;
      case 'code':
        return <code key={i}>{n.text}</code>;
      case 'strong':
        return <strong key={i}>{inline(n.children)}</strong>;
      case 'em':
        return <em key={i}>{inline(n.children)}</em>;
      case 'link':
        return (
          <a key={i} href={n.href} rel="noopener noreferrer">
            {inline(n.children)}
          </a>
        );
    }
  });
}

function block(b: MdBlock, i: number): ReactNode {
  switch (b.type) {
    case 'heading': {
      // Panel titles are h3: content headings start at h4 so the page outline stays right.
      const Tag = `h${Math.min(6, b.level + 3)}` as 'h4' | 'h5' | 'h6';
      return <Tag key={i}>{inline(b.children)}</Tag>;
    }
    case 'paragraph':
      return <p key={i}>{inline(b.children)}</p>;
    case 'code':
      return (
        <pre key={i}>
          <code>{b.text}</code>
        </pre>
      );
    case 'list': {
      const items = b.items.map((it, j) => <li key={j}>{inline(it)}</li>);
      return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
    }
  }
}

/**
 * A text panel: its markdown (a safe subset, lib/dashboard-markdown.ts) as React elements, so
 * nothing in the content is ever inserted as HTML. HTML-mode content shows as its text.
 */
export function TextPanel({ content, mode }: { content: string; mode: 'markdown' | 'html' | undefined }) {
  const source = mode === 'html' ? stripHtml(content) : content;
  return <div className="text-panel">{parseMarkdown(source).map(block)}</div>;
}
