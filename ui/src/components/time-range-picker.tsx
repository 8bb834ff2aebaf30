import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n/i18n-context.js';
import {
  absoluteRange,
  fromDatetimeLocal,
  lastRange,
  RELATIVE_CHOICES,
  resolveRange,
  toDatetimeLocal,
  zoomOut,
  type TimeRange,
} from '../lib/time-range.js';

/**
 * The time range control: a list of relative ranges ("last 1h"), a custom absolute range with
 * two date-time inputs, and zoom out. Drag to zoom happens on the charts, which call `onChange`
 * with an absolute range.
 */
export function TimeRangePicker({ range, onChange }: { range: TimeRange; onChange: (r: TimeRange) => void }) {
  const { t, formatDateTime } = useI18n();
  const [isCustom, setCustom] = useState(false);
  const resolved = resolveRange(range, Date.now());
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [invalid, setInvalid] = useState<string | undefined>();
  const relative = /^now-(\w+)$/.exec(range.from)?.[1];
  const selected =
    range.to === 'now' && relative !== undefined && RELATIVE_CHOICES.includes(relative) ? relative : '';

  const openCustom = () => {
    const r = resolved ?? resolveRange(lastRange('1h'), Date.now());
    if (r) {
      setFrom(toDatetimeLocal(r.startMs));
      setTo(toDatetimeLocal(r.endMs));
    }
    setInvalid(undefined);
    setCustom(true);
  };
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const start = fromDatetimeLocal(from);
    const end = fromDatetimeLocal(to);
    if (start === undefined) return setInvalid(from);
    if (end === undefined || end <= start) return setInvalid(to);
    setCustom(false);
    onChange(absoluteRange(start, end));
  };

  return (
    <div className="range-picker" role="group" aria-label={t('range.label')}>
      <label>
        <span className="sr-only">{t('range.label')}</span>
        <select
          value={isCustom || selected === '' ? 'custom' : selected}
          onChange={(e) => {
            if (e.target.value === 'custom') openCustom();
            else {
              setCustom(false);
              onChange(lastRange(e.target.value));
            }
          }}
        >
          {RELATIVE_CHOICES.map((d) => (
            <option key={d} value={d}>
              {t('range.last', { duration: d })}
            </option>
          ))}
          <option value="custom">{t('range.custom')}</option>
        </select>
      </label>
      {!isCustom && selected === '' && resolved && (
        <button type="button" className="link" onClick={openCustom}>
          {formatDateTime(resolved.startMs)} – {formatDateTime(resolved.endMs)}
        </button>
      )}
      <button
        type="button"
        onClick={() => {
          const next = zoomOut(range, Date.now());
          if (next) onChange(next);
        }}
      >
        {t('range.zoomOut')}
      </button>
      {isCustom && (
        <form className="custom-range" onSubmit={apply}>
          <label>
            {t('range.from')}{' '}
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            {t('range.to')} <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="submit">{t('range.apply')}</button>
          {invalid !== undefined && (
            <span className="error" role="alert">
              {t('range.invalid', { value: invalid || '—' })}
            </span>
          )}
        </form>
      )}
    </div>
  );
}
