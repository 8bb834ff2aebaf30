import { useState, type FormEvent, type ReactNode } from 'react';
import { AsyncView } from '../components/async-view.js';
import { useI18n } from '../i18n/i18n-context.js';
import type { AsyncState } from '../use-async.js';
import { LIVE_REFRESH_MS } from './host-table.js';
import { LiveStatus } from './live-status.js';

/**
 * Pieces the Alerts and Checks pages share: a page heading with live status, a section that
 * loads on its own, an error line, and the remembered author of silences, windows and
 * acknowledgements.
 */

const AUTHOR_KEY = 'kanshi.author';

/** The name last used to sign a silence, window or acknowledgement ('' when none). */
export function savedAuthor(): string {
  try {
    return localStorage.getItem(AUTHOR_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Remembers `author` for the next form. */
export function saveAuthor(author: string): void {
  try {
    localStorage.setItem(AUTHOR_KEY, author);
  } catch {
    // Private mode: not remembered.
  }
}

/** The message of a rejection, whatever was thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An error line announced to screen readers; nothing without a message. */
export function Problem({ message }: { message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

/** The page's `<h1>` with "updated at · live refresh" of `state` and a refresh button. */
export function LivePageHead({
  title,
  state,
  onRefresh,
}: {
  title: string;
  state: AsyncState<unknown>;
  /** Default: reload `state`. */
  onRefresh?: () => void;
}) {
  return (
    <header className="page-head">
      <h1>{title}</h1>
      <LiveStatus
        updatedAt={state.updatedAt}
        refreshMs={LIVE_REFRESH_MS}
        isLoading={state.isLoading}
        onRefresh={onRefresh ?? state.reload}
      />
    </header>
  );
}

/** A titled section showing `children(data)` of its own load (so one failing API spares the rest). */
export function LoadedSection<T>({
  id,
  title,
  state,
  actions,
  children,
}: {
  /** The heading's id. */
  id: string;
  title: string;
  state: AsyncState<T>;
  /** Controls beside the heading, shown whatever the load did. */
  actions?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const heading = <h2 id={id}>{title}</h2>;
  return (
    <section aria-labelledby={id}>
      {actions === undefined ? (
        heading
      ) : (
        <div className="section-head">
          {heading}
          {actions}
        </div>
      )}
      <AsyncView state={state}>{children}</AsyncView>
    </section>
  );
}

/** A table in its scrolling wrapper: column headings, an unlabelled action column, and the rows. */
export function ListTable({
  className,
  columns,
  actionLabel,
  children,
}: {
  className: string;
  columns: readonly string[];
  /** Screen-reader name of a last column of buttons; no such column without it. */
  actionLabel?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actionLabel !== undefined && (
              <th scope="col">
                <span className="sr-only">{actionLabel}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** What {@link useFormAction} gives a form. */
export interface FormAction {
  readonly problem: string | undefined;
  readonly setProblem: (problem: string | undefined) => void;
  readonly isSaving: boolean;
  /** Runs `send`; `onDone` gets its result, a rejection becomes the problem ("could not save: …"). */
  readonly run: <T>(send: () => Promise<T>, onDone: (result: T) => void) => void;
}

/** The saving state and error line of a form that sends one request. */
export function useFormAction(): FormAction {
  const { t } = useI18n();
  const [problem, setProblem] = useState<string | undefined>();
  const [isSaving, setSaving] = useState(false);
  return {
    problem,
    setProblem,
    isSaving,
    run: (send, onDone) => {
      setSaving(true);
      setProblem(undefined);
      send().then(
        (result) => {
          setSaving(false);
          onDone(result);
        },
        (err: unknown) => {
          setSaving(false);
          setProblem(t('silence.failed', { message: errorText(err) }));
        },
      );
    },
  };
}

/**
 * The frame of the silence and maintenance-window forms: a titled form, its fields, the author
 * and comment (the author remembered), the problem line, and submit and cancel buttons.
 */
export function SignedForm({
  id,
  title,
  submitLabel,
  action,
  author,
  comment,
  onSubmit,
  onCancel,
  children,
}: {
  /** The form's `data-testid`; its heading's id is `<id>-title`. */
  id: string;
  title: string;
  submitLabel: string;
  action: FormAction;
  author: [string, (v: string) => void];
  comment: [string, (v: string) => void];
  onSubmit: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <form
      className="silence-form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit();
      }}
      aria-labelledby={`${id}-title`}
      data-testid={id}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <label>
        {t('silence.author')}
        <input
          name="author"
          value={author[0]}
          onChange={(e) => author[1](e.target.value)}
          autoComplete="name"
        />
      </label>
      <label>
        {t('silence.comment')}
        <textarea name="comment" value={comment[0]} onChange={(e) => comment[1](e.target.value)} rows={2} />
      </label>
      <Problem message={action.problem} />
      <div className="actions">
        <button type="submit" disabled={action.isSaving}>
          {submitLabel}
        </button>{' '}
        <button type="button" onClick={onCancel}>
          {t('silence.cancel')}
        </button>
      </div>
    </form>
  );
}
