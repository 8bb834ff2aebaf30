import { useI18n } from '../i18n/i18n-context.js';
import type { SilenceMatcher } from '../lib/alerts.js';

/** A matcher being edited, with a key stable across edits. */
export interface MatcherRow extends SilenceMatcher {
  readonly key: number;
}

const OPERATORS = ['=', '!=', '=~', '!~'] as const;

function operatorOf(m: SilenceMatcher): (typeof OPERATORS)[number] {
  if (m.isEqual) return m.isRegex ? '=~' : '=';
  return m.isRegex ? '!~' : '!=';
}

/** `matchers` as rows to edit. */
export function toRows(matchers: readonly SilenceMatcher[]): MatcherRow[] {
  return matchers.map((m, i) => ({ ...m, key: i }));
}

/**
 * The matcher fieldset of the silence and maintenance-window forms: name, operator (`=`, `!=`,
 * `=~`, `!~`) and value per row, with remove and add buttons. Controlled: `onChange` gets the
 * new rows.
 */
export function MatcherEditor({
  rows,
  onChange,
}: {
  rows: readonly MatcherRow[];
  onChange: (rows: MatcherRow[]) => void;
}) {
  const { t } = useI18n();
  const update = (key: number, patch: Partial<SilenceMatcher>): void =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>{t('silence.matchers')}</legend>
      {rows.map((r) => (
        <div key={r.key} className="matcher-row" data-testid="matcher">
          <input
            aria-label={t('silence.name')}
            value={r.name}
            onChange={(e) => update(r.key, { name: e.target.value })}
          />
          <select
            aria-label={t('silence.operator')}
            value={operatorOf(r)}
            onChange={(e) =>
              update(r.key, {
                isEqual: !e.target.value.startsWith('!'),
                isRegex: e.target.value.endsWith('~'),
              })
            }
          >
            {OPERATORS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          <input
            aria-label={t('silence.value')}
            value={r.value}
            onChange={(e) => update(r.key, { value: e.target.value })}
          />
          <button type="button" onClick={() => onChange(rows.filter((x) => x.key !== r.key))}>
            {t('silence.remove')}
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() =>
          onChange([
            ...rows,
            {
              key: Math.max(-1, ...rows.map((x) => x.key)) + 1,
              name: '',
              value: '',
              isEqual: true,
              isRegex: false,
            },
          ])
        }
      >
        {t('silence.addMatcher')}
      </button>
    </fieldset>
  );
}
