import { expect, test } from "vitest";
import { diff } from "./diff";

test("diff lists changed leaves by path, arrays whole", () => {
  const before = { name: "a", status: "active", usage_limit: { requests_per_day: 0, tokens_per_day: 5 }, allowed_ips: ["10.0.0.0/8"] };
  const after = { name: "a", status: "suspended", usage_limit: { requests_per_day: 100, tokens_per_day: 5 }, allowed_ips: [], tools: ["Read"] };
  expect(diff(before, after)).toEqual([
    { path: "allowed_ips", before: ["10.0.0.0/8"], after: [] },
    { path: "status", before: "active", after: "suspended" },
    { path: "tools", before: undefined, after: ["Read"] },
    { path: "usage_limit.requests_per_day", before: 0, after: 100 },
  ]);
});

test("a creation diffs against nothing", () => {
  expect(diff(null, { name: "k" })).toEqual([{ path: "name", before: undefined, after: "k" }]);
  expect(diff({ name: "k" }, { name: "k" })).toEqual([]);
});
