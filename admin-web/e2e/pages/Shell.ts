import type { Page } from "playwright-core";

export type NavName = "Dashboard" | "API keys" | "Monitor" | "Processes" | "Policies" | "Audit log" | "Playground";

/** Shell is the signed-in frame: navigation, theme, language, sign-out. */
export class Shell {
  constructor(private page: Page) {}
  async go(name: NavName) {
    const menu = this.page.getByRole("button", { name: "Open navigation" });
    if (await menu.isVisible()) await menu.click();
    await this.page.getByRole("link", { name, exact: true }).click();
    await this.page.getByRole("heading", { level: 1, name }).waitFor();
  }
  signOut = () => this.page.getByRole("button", { name: "Sign out" }).click();
  heading = () => this.page.getByRole("heading", { level: 1 });
}
