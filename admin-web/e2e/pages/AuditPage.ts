import type { Page } from "playwright-core";

export class AuditPage {
  constructor(private page: Page) {}
  table = () => this.page.getByRole("table", { name: "Audit log" });
  rows = (action: string) => this.table().getByRole("row").filter({ hasText: action });
  async filterAction(action: string) {
    await this.page.getByLabel("Action", { exact: true }).fill(action);
  }
  async expand(action: string, target: string) {
    await this.page.getByRole("button", { name: `Details ${action} ${target}` }).first().click();
  }
  changes = () => this.page.getByRole("table", { name: "Changes" });
}
