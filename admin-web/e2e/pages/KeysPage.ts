import type { Locator, Page } from "playwright-core";

export class KeysPage {
  constructor(private page: Page) {}
  table = () => this.page.getByRole("table", { name: "API keys" });
  row = (name: string): Locator => this.table().getByRole("row").filter({ has: this.page.getByRole("link", { name, exact: true }) });
  dialog = () => this.page.getByRole("dialog");

  async openCreate() {
    await this.page.getByRole("button", { name: "Create key" }).click();
    await this.dialog().getByLabel("Name", { exact: false }).first().waitFor();
  }
  // By role and accessible name: a required field's label text also holds its "*".
  field = (label: string) =>
    this.dialog().getByRole("textbox", { name: label, exact: true }).or(this.dialog().getByRole("spinbutton", { name: label, exact: true }));
  async submitCreate() {
    await this.dialog().getByRole("button", { name: "Create", exact: true }).click();
  }
  /** secret reads the one-time secret from the dialog and closes it. */
  async takeSecret(): Promise<string> {
    const code = this.page.getByRole("dialog", { name: "Save this key now" }).getByText(/^sk-ccg-/);
    const secret = (await code.first().textContent())!.trim();
    await this.page.getByRole("button", { name: "Done" }).click();
    await this.page.getByRole("dialog", { name: "Save this key now" }).waitFor({ state: "hidden" });
    return secret;
  }
  async action(name: string, action: "Suspend" | "Activate" | "Rotate" | "Delete" | "Edit") {
    await this.row(name).getByRole("button", { name: action, exact: true }).click();
  }
  status = (name: string) => this.row(name).getByRole("cell").nth(2);
}
