// Shared set-up of the end-to-end suite: the browser, the gateway's address and
// small helpers to talk to the gateway as an API client would.
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8080";
export const adminPassword = process.env.ADMIN_PASSWORD ?? "";
export const screenshotDir = process.env.SCREENSHOT_DIR ?? "";

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    // root in CI: Chromium's sandbox needs a user namespace it may not get.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none", "--disable-crash-reporter", "--disable-breakpad"],
  });
}

/** CSP violations and page errors seen by any page of a context. */
export function watchProblems(ctx: BrowserContext): string[] {
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  };
  ctx.pages().forEach(watch);
  ctx.on("page", watch);
  return problems;
}

export type ChatResult = { status: number; body: any };

/** chat sends one message with an API key, as a client program would. */
export async function chat(key: string, message: string, extra: Record<string, unknown> = {}): Promise<ChatResult> {
  const res = await fetch(`${gateway}/api/chat`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ message, ...extra }),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, stepMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`not in time${last ? `: ${String(last)}` : ""}`);
}
