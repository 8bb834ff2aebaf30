import { useMemo, useState } from 'react';
import { createMaintenanceWindow, type MaintenanceWindow } from '../api/alerting.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/i18n-context.js';
import {
  buildMaintenanceWindow,
  WEEKDAYS,
  type DraftProblem,
  type RecurrenceKind,
  type Weekday,
} from '../lib/maintenance.js';
import { MatcherEditor, type MatcherRow } from './matcher-editor.js';
import { saveAuthor, savedAuthor, SignedForm, useFormAction } from './page-parts.js';

const PROBLEM_TEXT: Readonly<Record<DraftProblem, MessageKey>> = {
  needMatcher: 'silence.needMatcher',
  needWeekday: 'maintenance.needWeekday',
  badDays: 'maintenance.badDays',
  badTime: 'maintenance.badTime',
  needExpression: 'maintenance.needExpression',
  badDuration: 'silence.badDuration',
  needAuthor: 'silence.needAuthor',
};

const KINDS: readonly { kind: RecurrenceKind; key: MessageKey }[] = [
  { kind: 'weekly', key: 'maintenance.weekly' },
  { kind: 'monthly', key: 'maintenance.monthly' },
  { kind: 'cron', key: 'maintenance.cron' },
];

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function zones(): readonly string[] {
  try {
    return (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

/** Weekday names in `locale`, Monday first (2024-01-01 was a Monday). */
function weekdayNames(locale: string): string[] {
  const f = new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' });
  return WEEKDAYS.map((_d, i) => f.format(Date.UTC(2024, 0, 1 + i)));
}

/**
 * The form that creates a recurring maintenance window: weekly (days and a start time), monthly
 * (days of the month and a start time) or a crontab line, in a time zone (the browser's by
 * default), for a duration, muting alerts that match the matchers. `onDone` gets the stored
 * window, whose next occurrences the Alerts page lists.
 */
export function MaintenanceForm({
  onDone,
  onCancel,
}: {
  onDone: (w: MaintenanceWindow) => void;
  onCancel: () => void;
}) {
  const { t, lang } = useI18n();
  const [rows, setRows] = useState<MatcherRow[]>([
    { key: 0, name: '', value: '', isEqual: true, isRegex: false },
  ]);
  const [kind, setKind] = useState<RecurrenceKind>('weekly');
  const [weekdays, setWeekdays] = useState<readonly Weekday[]>(['sunday']);
  const [daysOfMonth, setDaysOfMonth] = useState('1');
  const [startTime, setStartTime] = useState('03:00');
  const [expression, setExpression] = useState('0 3 * * 0');
  const [timeZone, setTimeZone] = useState(browserZone);
  const [duration, setDuration] = useState('2h');
  const author = useState(savedAuthor);
  const comment = useState('');
  const action = useFormAction();
  const names = useMemo(() => weekdayNames(lang === 'ja' ? 'ja-JP' : 'en-US'), [lang]);
  const zoneList = useMemo(zones, []);

  const submit = (): void => {
    const built = buildMaintenanceWindow({
      kind,
      weekdays,
      daysOfMonth,
      startTime,
      expression,
      timeZone,
      duration,
      matchers: rows,
      createdBy: author[0],
      comment: comment[0],
    });
    if ('problem' in built) return action.setProblem(t(PROBLEM_TEXT[built.problem]));
    saveAuthor(built.body.createdBy);
    action.run(() => createMaintenanceWindow(built.body), onDone);
  };

  return (
    <SignedForm
      id="maintenance-form"
      title={t('maintenance.new')}
      submitLabel={t('maintenance.create')}
      action={action}
      author={author}
      comment={comment}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <MatcherEditor rows={rows} onChange={setRows} />
      <fieldset>
        <legend>{t('maintenance.repeats')}</legend>
        {KINDS.map((k) => (
          <label key={k.kind} className="inline">
            <input
              type="radio"
              name="kind"
              value={k.kind}
              checked={kind === k.kind}
              onChange={() => setKind(k.kind)}
            />{' '}
            {t(k.key)}
          </label>
        ))}
        {kind === 'weekly' && (
          <div role="group" aria-label={t('maintenance.weekdays')} className="weekdays">
            {WEEKDAYS.map((d, i) => (
              <label key={d} className="inline">
                <input
                  type="checkbox"
                  name="weekday"
                  value={d}
                  checked={weekdays.includes(d)}
                  onChange={(e) =>
                    setWeekdays((ws) => (e.target.checked ? [...ws, d] : ws.filter((x) => x !== d)))
                  }
                />{' '}
                {names[i]}
              </label>
            ))}
          </div>
        )}
        {kind === 'monthly' && (
          <label>
            {t('maintenance.daysOfMonth')}
            <input name="daysOfMonth" value={daysOfMonth} onChange={(e) => setDaysOfMonth(e.target.value)} />
          </label>
        )}
        {kind !== 'cron' ? (
          <label>
            {t('maintenance.startTime')}
            <input
              name="startTime"
              type="time"
              value={startTime}
              onChange={(e) => setStartTime(e.target.value)}
            />
          </label>
        ) : (
          <label>
            {t('maintenance.expression')}
            <input
              name="expression"
              value={expression}
              onChange={(e) => setExpression(e.target.value)}
              spellCheck={false}
            />
          </label>
        )}
      </fieldset>
      <label>
        {t('maintenance.zone')}
        <input
          name="timeZone"
          value={timeZone}
          onChange={(e) => setTimeZone(e.target.value)}
          list="maintenance-zones"
          autoComplete="off"
        />
        <datalist id="maintenance-zones">
          {zoneList.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </label>
      <label>
        {t('maintenance.duration')}
        <input name="duration" value={duration} onChange={(e) => setDuration(e.target.value)} />
      </label>
    </SignedForm>
  );
}
