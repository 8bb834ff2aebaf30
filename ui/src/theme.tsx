import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

/**
 * Light and dark themes. The page follows the OS (`prefers-color-scheme`) until the user picks
 * one; the choice is kept in localStorage and applied as `data-theme` on <html> (index.html
 * applies it before the first paint). Colours are CSS variables in styles.css; charts read them
 * through {@link cssVar} and redraw when the resolved theme changes.
 */

/** The user's choice. */
export type ThemeChoice = 'system' | 'light' | 'dark';

/** What {@link useTheme} gives. */
export interface ThemeState {
  readonly choice: ThemeChoice;
  /** The theme in effect: the choice, or the OS's when the choice is `system`. */
  readonly resolved: 'light' | 'dark';
  readonly setChoice: (choice: ThemeChoice) => void;
}

const STORAGE_KEY = 'kanshi.theme';
const ThemeContext = createContext<ThemeState | null>(null);

function savedChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Provides the theme to the app and keeps <html data-theme> in step. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [choice, setChoiceState] = useState<ThemeChoice>(savedChoice);
  const media = useMemo(() => window.matchMedia('(prefers-color-scheme: dark)'), []);
  const [osDark, setOsDark] = useState(media.matches);
  useEffect(() => {
    const onChange = (e: MediaQueryListEvent) => setOsDark(e.matches);
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, [media]);
  useEffect(() => {
    if (choice === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = choice;
  }, [choice]);
  const setChoice = useCallback((next: ThemeChoice) => {
    try {
      if (next === 'system') localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    setChoiceState(next);
  }, []);
  const resolved = choice === 'system' ? (osDark ? 'dark' : 'light') : choice;
  const value = useMemo(() => ({ choice, resolved, setChoice }), [choice, resolved, setChoice]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

/** The theme of the nearest {@link ThemeProvider}. */
export function useTheme(): ThemeState {
  const v = useContext(ThemeContext);
  if (!v) throw new Error('useTheme outside ThemeProvider');
  return v;
}

/** The current value of a CSS custom property on <html>, e.g. `cssVar('--fg')`. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
