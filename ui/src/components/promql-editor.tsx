import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { useEffect, useRef } from 'react';

/**
 * The PromQL editor: CodeMirror 6 with @prometheus-io/codemirror-promql, completing metric names,
 * label names and values from this server's /api/v1, highlighting and linting. Shift+Enter (or
 * Ctrl/Cmd+Enter) calls `onRun`. Loaded lazily: it is most of the Explore page's JavaScript.
 */
export interface PromqlEditorProps {
  readonly value: string;
  readonly onChange: (expr: string) => void;
  readonly onRun: (expr: string) => void;
  readonly label: string;
  readonly placeholderText: string;
}

// Colours are CSS variables so the editor follows the light and dark themes without rebuilding.
const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--hl-keyword)' },
  { tag: [tags.function(tags.variableName), tags.function(tags.name)], color: 'var(--hl-function)' },
  { tag: [tags.labelName, tags.propertyName], color: 'var(--hl-label)' },
  { tag: tags.string, color: 'var(--hl-string)' },
  { tag: tags.number, color: 'var(--hl-number)' },
  { tag: tags.operator, color: 'var(--hl-operator)' },
  { tag: tags.comment, color: 'var(--muted)', fontStyle: 'italic' },
  { tag: tags.invalid, color: 'var(--crit)' },
]);

const theme = EditorView.theme({
  '&': { color: 'var(--fg)', backgroundColor: 'var(--input-bg)', fontSize: '14px' },
  '.cm-content': { caretColor: 'var(--fg)', fontFamily: 'var(--mono)', padding: '6px 0' },
  '&.cm-focused': { outline: '2px solid var(--accent)' },
  '.cm-tooltip': {
    backgroundColor: 'var(--bg-raised)',
    color: 'var(--fg)',
    border: '1px solid var(--border)',
  },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: 'var(--accent)', color: '#fff' },
  '.cm-placeholder': { color: 'var(--muted)' },
});

/** See {@link PromqlEditorProps}. */
export default function PromqlEditor(props: PromqlEditorProps) {
  const box = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    if (!box.current) return;
    const promql = new PromQLExtension().setComplete({ remote: { url: window.location.origin } });
    const run = (v: EditorView) => {
      latest.current.onRun(v.state.doc.toString());
      return true;
    };
    const v = new EditorView({
      parent: box.current,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          promql.asExtension(),
          history(),
          closeBrackets(),
          autocompletion(),
          bracketMatching(),
          syntaxHighlighting(highlight),
          theme,
          EditorView.lineWrapping,
          placeholder(latest.current.placeholderText),
          EditorView.contentAttributes.of({ 'aria-label': latest.current.label }),
          keymap.of([
            { key: 'Shift-Enter', run },
            { key: 'Mod-Enter', run },
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...historyKeymap,
            ...completionKeymap,
          ]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  // Follow outside changes (back/forward through the URL) without losing the cursor otherwise.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return <div className="promql-editor" ref={box} />;
}
