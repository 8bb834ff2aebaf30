import { describe, expect, it } from 'vitest';
import { en, type MessageKey } from './en.js';
import { detectLang, LANGS, MESSAGES, placeholders, translate } from './i18n.js';

describe('MESSAGES', () => {
  const keys = Object.keys(en).sort();
  it.each(LANGS.map((l) => l.lang))('has every key and only those in %s', (lang) => {
    expect(Object.keys(MESSAGES[lang]).sort()).toEqual(keys);
  });
  it.each(LANGS.map((l) => l.lang))(
    'has a non-empty string with the same placeholders for every key in %s',
    (lang) => {
      for (const key of keys as MessageKey[]) {
        const text = MESSAGES[lang][key];
        expect(text.trim(), key).not.toBe('');
        expect(placeholders(text), key).toEqual(placeholders(en[key]));
      }
    },
  );
  it('translates the Japanese table, not a copy of the English one', () => {
    const same = (Object.keys(en) as MessageKey[]).filter(
      (k) => MESSAGES.ja[k] === en[k] && !/^(app\.title|hosts\.cpu)$/.test(k),
    );
    expect(same).toEqual([]);
  });
});

describe('translate', () => {
  it.each([
    ['en', 'host.title', { host: 'web-1' }, 'Host web-1'],
    ['ja', 'host.title', { host: 'web-1' }, 'ホスト web-1'],
    ['en', 'hosts.checksSummary', { ok: 2, total: 3 }, '2 of 3 OK'],
    ['ja', 'hosts.checksSummary', { ok: 2, total: 3 }, '3 件中 2 件正常'],
    ['en', 'host.title', {}, 'Host {host}'],
    ['en', 'nav.explore', undefined, 'Explore'],
  ] as const)('%s %s %j → %s', (lang, key, params, want) => {
    expect(translate(lang, key, params)).toBe(want);
  });
});

describe('detectLang', () => {
  it.each([
    [null, [], 'en'],
    [null, ['ja-JP', 'en-US'], 'ja'],
    [null, ['fr-FR', 'ja'], 'ja'],
    [null, ['en-GB', 'ja'], 'en'],
    ['en', ['ja-JP'], 'en'],
    ['ja', ['en-US'], 'ja'],
    ['xx', ['JA'], 'ja'],
    [null, ['de'], 'en'],
  ] as const)('saved %j, preferred %j → %s', (saved, preferred, want) => {
    expect(detectLang(saved, preferred)).toBe(want);
  });
});
