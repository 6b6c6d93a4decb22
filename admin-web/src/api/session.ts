// The admin session: the JWT lives in sessionStorage (gone with the tab), never in
// localStorage or a cookie. Expiry, whether noticed by the clock or by a 401 from
// the API, ends the session with a message for the sign-in page.
import { useSyncExternalStore } from "react";

export type Session = { token: string; expiresAt: number; method: "password" | "sso" };
type State = { session: Session | null; notice: string | null };

const key = "ccg.session";
let state: State = { session: load(), notice: null };
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

function load(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(key) ?? "null") as Session | null;
    return s && s.expiresAt > Date.now() ? s : null;
  } catch {
    return null;
  }
}

function set(next: State) {
  state = next;
  if (next.session) sessionStorage.setItem(key, JSON.stringify(next.session));
  else sessionStorage.removeItem(key);
  clearTimeout(timer);
  if (next.session) {
    // setTimeout's delay is a 32-bit int: cap it, the check repeats.
    const delay = Math.min(next.session.expiresAt - Date.now(), 2 ** 31 - 1);
    timer = setTimeout(() => (state.session && state.session.expiresAt <= Date.now() ? expire() : set(state)), Math.max(delay, 0));
  }
  listeners.forEach((l) => l());
}

export const session = {
  get: () => state.session,
  token: () => state.session?.token ?? null,
  notice: () => state.notice,
  start(s: Session) {
    set({ session: s, notice: null });
  },
  signOut() {
    set({ session: null, notice: "You signed out." });
  },
  subscribe(l: () => void) {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

/** expire ends the session because the token is no longer accepted. */
export function expire() {
  if (!state.session) return;
  set({ session: null, notice: "Your session has expired. Sign in again." });
}

if (state.session) set(state); // arm the expiry timer for a restored session

export function useSession(): State {
  return useSyncExternalStore(session.subscribe, () => state);
}
