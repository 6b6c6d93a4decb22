import type { Page } from "playwright-core";
import { gateway } from "../harness";

export class SignInPage {
  constructor(private page: Page) {}
  username = () => this.page.getByLabel("Username");
  password = () => this.page.getByLabel("Password", { exact: false }).first();
  submit = () => this.page.getByRole("button", { name: "Sign in", exact: true });
  alert = () => this.page.getByRole("alert");

  async open() {
    await this.page.goto(`${gateway}/console/sign-in`);
  }
  async signIn(user: string, password: string) {
    await this.username().fill(user);
    await this.password().fill(password);
    await this.submit().click();
  }
}
