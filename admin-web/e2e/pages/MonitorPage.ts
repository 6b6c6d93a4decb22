import type { Page } from "playwright-core";

export class MonitorPage {
  constructor(private page: Page) {}
  feed = () => this.page.getByRole("table", { name: "Live feed" });
  log = () => this.page.getByRole("table", { name: "Request log" });
  feedRow = (keyName: string, status: number) =>
    this.feed().getByRole("row").filter({ hasText: keyName }).filter({ hasText: String(status) });
  connected = () => this.page.getByText("Connected", { exact: true });
  pause = () => this.page.getByRole("button", { name: "Pause" });
  resume = () => this.page.getByRole("button", { name: "Resume" });
  details = () => this.page.getByRole("dialog", { name: "Request details" });
}
