import type { Page } from "playwright-core";

export class DashboardPage {
  constructor(private page: Page) {}
  stat = (label: string) => this.page.getByLabel(label, { exact: true });
  chart = (title: string) => this.page.getByRole("region", { name: title });
  /** drawnPaths counts the SVG paths with geometry inside a chart section. */
  async drawnPaths(title: string): Promise<number> {
    return this.chart(title).locator("svg path").evaluateAll((ps) => ps.filter((p) => (p.getAttribute("d") ?? "").length > 10).length);
  }
  async range(label: string) {
    await this.page.getByLabel("Range").click();
    await this.page.getByRole("option", { name: label }).click();
  }
}
