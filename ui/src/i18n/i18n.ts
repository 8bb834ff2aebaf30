import { en, type MessageKey } from './en.js';
import { ja } from './ja.js';

/**
 * The UI's tiny i18n: a flat table of strings per language, `{name}` placeholders, and the choice
 * of language (saved choice, else the browser's preferred languages, else English). Pure: the
 * React binding is in i18n-context.tsx.
 */

/** A language the UI speaks. */
export type Lang = 'en' | 'ja';

/** The languages, in the order the switch lists them, with their own names. */
export const LANGS: readonly { readonly lang: Lang; readonly name: string }[] = [
  { lang: 'en', name: 'English' },
  { lang: 'ja', name: '日本語' },
];

/** The string tables, by language. */
export const MESSAGES: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, ja };

/** Values for the `{name}` placeholders of a string. */
export type MessageParams = Readonly<Record<string, string | number>>;

/**
 * The string `key` in `lang` with its placeholders replaced. A placeholder without a value is
 * left as `{name}`, so a missing parameter shows instead of vanishing.
 */
export function translate(lang: Lang, key: MessageKey, params?: MessageParams): string {
  const text = MESSAGES[lang][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

/** The placeholder names of a string, sorted, for comparing languages. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

/** Whether `s` names a supported language. */
export function isLang(s: unknown): s is Lang {
  return s === 'en' || s === 'ja';
}

/**
 * The language to start in: `saved` when it is one we speak, else the first of the browser's
 * `preferred` languages (BCP 47 tags like `ja-JP`) that we speak, else English.
 */
export function detectLang(saved: string | null, preferred: readonly string[]): Lang {
  if (isLang(saved)) return saved;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-', 1)[0];
    if (isLang(base)) return base;
  }
  return 'en';
}
