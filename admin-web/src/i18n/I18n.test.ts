import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { translate } from "./I18n";
import { zh } from "./zh";
import { navItems } from "../layout/nav";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) && !f.includes(".test.") ? [p] : [];
  });
}

describe("i18n", () => {
  test("translates with placeholders and falls back to English", () => {
    expect(translate("zh-CN", "Sign in")).toBe("登录");
    expect(translate("en", "Sign in")).toBe("Sign in");
    expect(translate("zh-CN", "Delete policy {name}? Every version goes.", { name: "x" })).toBe("删除策略 x？所有版本都会删除。");
    expect(translate("zh-CN", "no such string")).toBe("no such string");
  });

  test("every string the console translates has a Simplified Chinese text", () => {
    const used = new Set<string>(navItems.map((n) => n.label));
    for (const f of sources(join(__dirname, ".."))) {
      for (const m of readFileSync(f, "utf8").matchAll(/\bt\("((?:[^"\\]|\\.)+)"/g)) used.add(m[1]);
    }
    const missing = [...used].filter((s) => !(s in zh));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(100);
  });
});
