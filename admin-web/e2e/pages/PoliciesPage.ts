import type { Page } from "playwright-core";

export class PoliciesPage {
  constructor(private page: Page) {}
  chain = () => this.page.getByRole("list", { name: "Active chain" });
  dialog = () => this.page.getByRole("dialog");
  async upload(name: string, wasmPath: string, config: string) {
    await this.page.getByRole("button", { name: "Upload policy" }).click();
    await this.dialog().getByLabel("Name", { exact: false }).first().fill(name);
    await this.dialog().getByLabel("WASM file").setInputFiles(wasmPath);
    await this.dialog().getByLabel("Configuration (JSON)").fill(config);
    await this.dialog().getByRole("button", { name: "Upload", exact: true }).click();
    // The gateway compiles the module and runs its self-tests first: slow on a loaded host.
    await this.dialog().waitFor({ state: "hidden", timeout: 60_000 });
  }
  async expand(name: string) {
    await this.page.getByRole("button", { name, exact: true }).click();
  }
  async dryRun(name: string, input: string) {
    await this.expand(name);
    await this.page.getByRole("button", { name: "Test", exact: true }).click();
    await this.dialog().getByLabel("Input (JSON)").fill(input);
    await this.dialog().getByRole("button", { name: "Run" }).click();
    const decision = this.dialog().getByRole("status", { name: "Decision" });
    await decision.waitFor();
    const text = (await decision.textContent()) ?? "";
    await this.dialog().getByRole("button", { name: "Close" }).click();
    return text;
  }
  async remove(name: string) {
    await this.page.getByRole("button", { name: "Delete", exact: true }).first().click();
    await this.page.getByRole("dialog", { name: "Delete policy" }).getByRole("button", { name: "Delete" }).click();
    await this.page.getByRole("dialog", { name: "Delete policy" }).waitFor({ state: "hidden" });
    void name;
  }
}
