// `make screenshots`: every page in light, dark, zh-CN and at phone width, from a
// gateway with a little real traffic. Files go to SCREENSHOT_DIR as <variant>-<page>.png.
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { adminPassword, chat, gateway, launch, screenshotDir } from "./harness";

let browser: Browser;
let token = "";
let expiresAt = 0;
const secrets: Record<string, string> = {};
let keyId = "";

async function admin(path: string, method = "GET", body?: unknown) {
  const res = await fetch(`${gateway}${path}`, {
    method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const login = await (await fetch(`${gateway}/admin/login`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: adminPassword }),
  })).json();
  token = login.token;
  expiresAt = Date.parse(login.expires_at);
  const keys = [
    { name: "support-bot", usage_limit: { requests_per_minute: 60, requests_per_day: 200, tokens_per_day: 200000 }, metadata: { user_id: "u_42", project: "helpdesk", description: "customer support" }, cost_usd_per_day: 5 },
    { name: "analytics", usage_limit: { requests_per_day: 50 }, metadata: { project: "data", user_id: "", description: "" } },
    { name: "batch-jobs", permissions: { models: ["sonnet"], max_tokens: 2048, allow_streaming: false }, metadata: { project: "nightly", user_id: "", description: "" } },
  ];
  for (const k of keys) {
    const created = await admin("/admin/api-keys", "POST", k);
    secrets[k.name] = created.key;
    if (k.name === "support-bot") keyId = created.id;
  }
  for (let i = 0; i < 4; i++) expect((await chat(secrets["support-bot"], `question ${i}`)).status).toBe(200);
  expect((await chat(secrets.analytics, "summarise the week")).status).toBe(200);
  await admin(`/admin/api-keys/${keyId}`, "PUT", { status: "suspended" });
  expect((await chat(secrets["support-bot"], "refused")).status).toBe(403);
  await admin(`/admin/api-keys/${keyId}`, "PUT", { status: "active" });
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

type Variant = { name: string; width: number; height: number; dark?: boolean; lang?: string };
const variants: Variant[] = [
  { name: "light", width: 1280, height: 860 },
  { name: "dark", width: 1280, height: 860, dark: true },
  { name: "zh-CN", width: 1280, height: 860, lang: "zh-CN" },
  { name: "phone", width: 390, height: 844 },
];

async function context(v: Variant, signedIn: boolean): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: v.width, height: v.height }, deviceScaleFactor: 1, locale: v.lang ?? "en-US", colorScheme: v.dark ? "dark" : "light" });
  ctx.setDefaultTimeout(20_000);
  await ctx.addInitScript(
    ({ dark, lang, session }) => {
      localStorage.setItem("mui-mode", dark ? "dark" : "light");
      localStorage.setItem("ccg.lang", lang ?? "en");
      if (session) sessionStorage.setItem("ccg.session", session);
    },
    { dark: !!v.dark, lang: v.lang, session: signedIn ? JSON.stringify({ token, expiresAt, method: "password" }) : "" },
  );
  return ctx;
}

async function shot(page: Page, v: Variant, name: string) {
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(400); // chart animations
  await page.screenshot({ path: `${screenshotDir}/${v.name}-${name}.png`, fullPage: v.name !== "phone" });
}

describe.each(variants)("screenshots: $name", (v) => {
  test("every page", async () => {
    const out = await context(v, false);
    const p0 = await out.newPage();
    await p0.goto(`${gateway}/console/sign-in`);
    await p0.getByRole("button").first().waitFor();
    await shot(p0, v, "sign-in");
    await out.close();

    const ctx = await context(v, true);
    const page = await ctx.newPage();
    const pages: [string, string][] = [
      ["dashboard", "/console/"], ["keys", "/console/keys"], ["key", `/console/keys/${keyId}`], ["monitor", "/console/monitor"],
      ["processes", "/console/processes"], ["policies", "/console/policies"], ["audit", "/console/audit"], ["playground", "/console/playground"],
    ];
    for (const [name, path] of pages) {
      await page.goto(`${gateway}${path}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      if (name === "monitor") {
        await page.waitForTimeout(500);
        await chat(secrets.analytics, "live");
        await page.getByRole("table").first().getByRole("row").nth(1).waitFor();
      }
      if (name === "audit") await page.getByRole("table").first().getByRole("button").first().click();
      if (name === "policies") await page.getByRole("button", { name: "ratelimit", exact: true }).click().catch(() => undefined);
      if (name === "playground") {
        await page.locator("input[type=password]").fill(secrets["support-bot"]);
      }
      await shot(page, v, name);
    }
    await ctx.close();
  }, 180_000);
});
