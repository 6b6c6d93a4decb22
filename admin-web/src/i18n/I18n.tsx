import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { zh } from "./zh";

export type Lang = "en" | "zh-CN";

type Ctx = { lang: Lang; setLang: (l: Lang) => void; t: (s: string, vars?: Record<string, string | number>) => string };

const I18nContext = createContext<Ctx | null>(null);
const storageKey = "ccg.lang";

function initialLang(): Lang {
  const saved = localStorage.getItem(storageKey);
  if (saved === "en" || saved === "zh-CN") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/** translate looks s up for lang and fills {name} placeholders. */
export function translate(lang: Lang, s: string, vars?: Record<string, string | number>): string {
  let out = lang === "zh-CN" ? zh[s] ?? s : s;
  for (const [k, v] of Object.entries(vars ?? {})) out = out.replaceAll(`{${k}}`, String(v));
  return out;
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(storageKey, l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  const value = useMemo<Ctx>(() => ({ lang, setLang, t: (s, vars) => translate(lang, s, vars) }), [lang, setLang]);
  document.documentElement.lang = lang;
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): Ctx {
  const c = useContext(I18nContext);
  if (!c) throw new Error("useI18n outside I18nProvider");
  return c;
}

export function useT() {
  return useI18n().t;
}
