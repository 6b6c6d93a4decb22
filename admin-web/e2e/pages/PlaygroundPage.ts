import type { Page } from "playwright-core";

export class PlaygroundPage {
  constructor(private page: Page) {}
  transcript = () => this.page.getByRole("log", { name: "Transcript" });
  conversationId = () => this.page.getByLabel("Conversation ID", { exact: true });
  usage = () => this.page.getByLabel("Usage", { exact: true });
  async send(secret: string, message: string) {
    await this.page.getByLabel("API key secret").fill(secret);
    await this.page.getByLabel("Message").fill(message);
    await this.page.getByRole("button", { name: "Send" }).click();
  }
}
