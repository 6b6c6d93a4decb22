// The console's done-when flows, in order, in one signed-in browser session.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { adminPassword, chat, eventually, gateway, launch, watchProblems } from "./harness";
import { SignInPage } from "./pages/SignInPage";
import { Shell } from "./pages/Shell";
import { KeysPage } from "./pages/KeysPage";
import { MonitorPage } from "./pages/MonitorPage";
import { PoliciesPage } from "./pages/PoliciesPage";
import { PlaygroundPage } from "./pages/PlaygroundPage";
import { AuditPage } from "./pages/AuditPage";
import { DashboardPage } from "./pages/DashboardPage";

let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let problems: string[];
const keyName = `e2e-${Date.now().toString(36)}`;
let secret = "";

beforeAll(async () => {
  browser = await launch();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  problems = watchProblems(ctx);
  ctx.setDefaultTimeout(15_000);
  ctx.setDefaultNavigationTimeout(45_000);
  page = await ctx.newPage();
});

// A failed step leaves a screenshot for the log (FAILURE_DIR, default the OS temp dir).
afterEach(async (c) => {
  if (c.task.result?.state === "fail" && page) {
    const file = `${process.env.FAILURE_DIR ?? "/tmp"}/ccgateway-e2e-${c.task.name.replace(/\W+/g, "-")}.png`;
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    console.error(`screenshot of the failure: ${file}`);
  }
});

afterAll(async () => {
  await browser?.close();
});

describe("admin console", () => {
  test("serves the console with a strict CSP, redirects / and serves /docs offline", async () => {
    const root = await fetch(`${gateway}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/console/");
    const idx = await fetch(`${gateway}/console/keys`);
    expect(idx.status).toBe(200);
    const csp = idx.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    const html = await idx.text();
    const asset = html.match(/\/console\/assets\/[^"]+\.js/)![0];
    const a = await fetch(`${gateway}${asset}`);
    expect(a.headers.get("cache-control")).toContain("immutable");
    await page.goto(`${gateway}/docs`);
    // Rendered by Swagger UI from embedded files (slow to parse on a loaded host).
    await page.getByRole("heading", { name: /ccgateway/ }).first().waitFor({ timeout: 45_000 });
  });

  test("sign in: a wrong password is refused, the right one opens the dashboard", async () => {
    const signIn = new SignInPage(page);
    await signIn.open();
    await signIn.signIn("admin", "not-the-password");
    await expect.poll(() => signIn.alert().textContent()).toContain("Wrong username or password");
    await signIn.signIn("admin", adminPassword);
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
  });

  test("create a key and read its secret once", async () => {
    const shell = new Shell(page);
    await shell.go("API keys");
    const keys = new KeysPage(page);
    await keys.openCreate();
    await keys.field("Name").fill(keyName);
    await keys.field("Requests per day").fill("1000");
    await keys.field("Project").fill("console-e2e");
    await keys.submitCreate();
    secret = await keys.takeSecret();
    expect(secret).toMatch(/^sk-ccg-[A-Za-z0-9_-]{20,}/);
    await keys.row(keyName).waitFor();
    // Never again: the list shows a masked key only.
    expect(await page.getByText(secret).count()).toBe(0);
    expect(await keys.row(keyName).textContent()).toContain("sk-ccg-");
  });

  test("a bad form value shows the API's field error next to the field", async () => {
    const keys = new KeysPage(page);
    await keys.openCreate();
    await keys.field("Name").fill(`${keyName}-bad`);
    const ips = keys.field("Allowed IPs (comma-separated CIDRs)");
    await ips.fill("10.0.0.0/8, not-an-ip");
    await keys.submitCreate();
    await expect.poll(() => ips.getAttribute("aria-invalid")).toBe("true");
    const helpId = await ips.getAttribute("aria-describedby");
    const help = await page.locator(`[id="${helpId}"]`).textContent();
    expect(help?.length).toBeGreaterThan(3);
    await keys.dialog().getByRole("button", { name: "Cancel" }).click();
    expect(await keys.row(`${keyName}-bad`).count()).toBe(0);
  });

  test("a chat with the key appears in Monitor within 2 seconds", async () => {
    const shell = new Shell(page);
    await shell.go("Monitor");
    const mon = new MonitorPage(page);
    await mon.connected().waitFor();
    const res = await chat(secret, "hello from the e2e suite");
    expect(res.status).toBe(200);
    const sent = Date.now();
    await mon.feedRow(keyName, 200).first().waitFor({ timeout: 2_000 });
    expect(Date.now() - sent).toBeLessThan(2_000);
    // The request log has it too, and its detail drawer names the conversation.
    await mon.log().getByRole("row").filter({ hasText: keyName }).first().waitFor({ timeout: 10_000 });
    await mon.log().getByRole("row").filter({ hasText: keyName }).first().click();
    await expect.poll(() => mon.details().textContent()).toContain(res.body.conversation_id);
    await mon.details().getByRole("button", { name: "Close" }).click();
  });

  test("the Playground chats with streaming and shows the conversation and usage", async () => {
    await new Shell(page).go("Playground");
    const pg = new PlaygroundPage(page);
    await pg.send(secret, "Say hi");
    await expect.poll(() => pg.conversationId().textContent(), { timeout: 30_000 }).toMatch(/[0-9a-f-]{36}/);
    await pg.usage().waitFor({ timeout: 30_000 });
    expect(await pg.usage().textContent()).toMatch(/Output tokens: \d+/);
    expect((await pg.transcript().textContent())?.length).toBeGreaterThan(8);
  });

  test("the processes page lists the live CLI process", async () => {
    await new Shell(page).go("Processes");
    const table = page.getByRole("table", { name: "Processes" });
    await table.getByRole("row").filter({ hasText: keyName }).first().waitFor({ timeout: 10_000 });
    expect(await table.getByRole("row").filter({ hasText: keyName }).first().textContent()).toMatch(/idle|busy/);
  });

  test("the dashboard charts draw with data", async () => {
    await new Shell(page).go("Dashboard");
    const dash = new DashboardPage(page);
    await dash.range("Last hour");
    await expect.poll(async () => Number((await dash.stat("Requests").textContent())?.replace(/\D/g, "") || 0), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => dash.drawnPaths("Requests and errors"), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => dash.drawnPaths("Latency (ms)")).toBeGreaterThan(0);
    await page.getByRole("table", { name: "Top keys" }).getByRole("row").filter({ hasText: keyName }).waitFor();
  });

  test("the key's page shows quota bars, conversations and recent requests", async () => {
    await new Shell(page).go("API keys");
    await new KeysPage(page).row(keyName).getByRole("link").click();
    await page.getByRole("heading", { level: 1, name: keyName }).waitFor();
    await expect.poll(() => page.getByRole("region", { name: "Quota (today, UTC)" }).textContent()).toMatch(/Requests per day\s*\d+ of 1,000/);
    await expect.poll(async () => Number(await page.getByLabel("Conversations", { exact: true }).textContent())).toBeGreaterThanOrEqual(2);
    await page.getByRole("table", { name: "Recent requests" }).getByRole("row").nth(2).waitFor();
  });

  test("suspend the key and its next chat is refused; activate it again", async () => {
    await new Shell(page).go("API keys");
    const keys = new KeysPage(page);
    await keys.action(keyName, "Suspend");
    await expect.poll(() => keys.status(keyName).textContent()).toBe("suspended");
    const refused = await chat(secret, "am I suspended?");
    expect([401, 403]).toContain(refused.status);
    expect(refused.body.code).toBe("key_suspended");
    await keys.action(keyName, "Activate");
    await expect.poll(() => keys.status(keyName).textContent()).toBe("active");
    await eventually(async () => (await chat(secret, "back again")).status === 200, 10_000, 500);
  });

  test("rotate: a new secret once, the old one stops", async () => {
    const keys = new KeysPage(page);
    await keys.action(keyName, "Rotate");
    const dlg = page.getByRole("dialog", { name: /Rotate key/ });
    await dlg.getByLabel("Grace period").click();
    await page.getByRole("option", { name: /No grace period/ }).click();
    await dlg.getByRole("button", { name: "Rotate", exact: true }).click();
    const fresh = await keys.takeSecret();
    expect(fresh).toMatch(/^sk-ccg-/);
    expect(fresh).not.toBe(secret);
    await eventually(async () => (await chat(secret, "old secret")).status === 401, 10_000, 500);
    expect((await chat(fresh, "new secret")).status).toBe(200);
    secret = fresh;
  });

  test("upload and activate a policy and see it decide", async () => {
    await new Shell(page).go("Policies");
    const pol = new PoliciesPage(page);
    const closed = (new Date().getUTCHours() + 12) % 24; // an hour that is not now
    await pol.upload("office-hours", process.env.POLICY_WASM!, JSON.stringify({ allowed_hours_utc: String(closed) }));
    await expect.poll(() => pol.chain().textContent()).toContain("office-hours v1");
    const refused = await chat(secret, "outside office hours");
    expect([403, 429]).toContain(refused.status);
    expect(refused.body.code).toBe("outside_time_window");
    const decision = await pol.dryRun("office-hours", JSON.stringify({ request: { endpoint: "/api/chat" }, now_ms: Date.now() }));
    expect(decision).toContain("Denied");
    expect(decision).toContain("outside_time_window");
    await pol.remove("office-hours");
    await expect.poll(() => pol.chain().textContent()).not.toContain("office-hours");
    await eventually(async () => (await chat(secret, "open again")).status === 200, 10_000, 500);
  });

  test("the audit log shows the changes with a before/after diff", async () => {
    await new Shell(page).go("Audit log");
    const audit = new AuditPage(page);
    for (const action of ["api_key.create", "api_key.update", "api_key.rotate", "admin.login"]) {
      await audit.rows(action).first().waitFor();
    }
    await audit.filterAction("api_key.update");
    await expect.poll(() => audit.table().getByRole("row").filter({ hasText: "api_key.create" }).count()).toBe(0);
    await audit.table().getByRole("button", { name: /^Details api_key.update/ }).first().click();
    await expect.poll(() => audit.changes().textContent()).toMatch(/status.*"(active|suspended)".*"(active|suspended)"/);
  });

  test("an expired session goes back to sign-in with a message", async () => {
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem("ccg.session")!);
      sessionStorage.setItem("ccg.session", JSON.stringify({ ...s, token: "expired.invalid.token" }));
    });
    await page.reload(); // the audit page's first call is refused with 401
    await page.getByText("Your session has expired. Sign in again.").waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await new SignInPage(page).signIn("admin", adminPassword);
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
  });

  test("sign out", async () => {
    await new Shell(page).signOut();
    await page.getByText("You signed out.").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("ccg.session"))).toBeNull();
    await page.goto(`${gateway}/console/keys`);
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  });

  test("no CSP violation or page error on any page", () => {
    expect(problems).toEqual([]);
  });
});
