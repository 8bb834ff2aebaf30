import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { MessageKey } from './en.js';
import { detectLang, type Lang, type MessageParams, translate } from './i18n.js';

/** What components get from {@link useI18n}. */
export interface I18n {
  readonly lang: Lang;
  readonly setLang: (lang: Lang) => void;
  /** The string `key` in the current language. */
  readonly t: (key: MessageKey, params?: MessageParams) => string;
  /** A number in the current locale. */
  readonly formatNumber: (n: number, options?: Intl.NumberFormatOptions) => string;
  /** A date and time (ms since the epoch) in the current locale and the browser's time zone. */
  readonly formatDateTime: (ms: number) => string;
  /** How long ago `ms` was, relative to `nowMs` ("3 minutes ago", "3 分前"). */
  readonly formatAgo: (ms: number, nowMs: number) => string;
}

const STORAGE_KEY = 'kanshi.lang';
const I18nContext = createContext<I18n | null>(null);

function savedLang(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Provides the language: the saved choice, else the browser's, switchable and remembered. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => detectLang(savedLang(), navigator.languages ?? []));
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    setLangState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const locale = lang === 'ja' ? 'ja-JP' : 'en-US';
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    return {
      lang,
      setLang,
      t: (key, params) => translate(lang, key, params),
      formatNumber: (n, options) => new Intl.NumberFormat(locale, options).format(n),
      formatDateTime: (ms) => dateTime.format(ms),
      formatAgo: (ms, nowMs) => {
        const s = Math.round((ms - nowMs) / 1000);
        if (Math.abs(s) < 60) return relative.format(s, 'second');
        if (Math.abs(s) < 3600) return relative.format(Math.round(s / 60), 'minute');
        if (Math.abs(s) < 86400) return relative.format(Math.round(s / 3600), 'hour');
        return relative.format(Math.round(s / 86400), 'day');
      },
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The i18n of the nearest {@link I18nProvider}. */
export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
