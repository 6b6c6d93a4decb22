import { describe, expect, test } from "vitest";
import type { APIKey } from "../api/keys";
import { emptyKeyForm, formFromKey, toCreate, toUpdate } from "./keyForm";

const key: APIKey = {
  id: "k1", key: "sk-ccg-AbCdE…", name: "bot", status: "active", created_at: "2026-01-01T00:00:00Z",
  expires_at: "2026-12-31T00:00:00Z", last_used_at: null,
  usage_limit: { requests_per_minute: 10, requests_per_day: 1000, tokens_per_day: 100000 },
  permissions: { models: ["claude-sonnet-4-5"], max_tokens: 4096, allow_streaming: false },
  metadata: { user_id: "u_42", project: "helpdesk", description: "staging" },
  max_concurrent_requests: 4, cost_usd_per_day: 5, allowed_ips: ["203.0.113.0/24"], require_signature: true, tools: ["Read"],
};

describe("key form", () => {
  test("sends every field on create", () => {
    const body = toCreate({ ...emptyKeyForm, name: "n", rpm: "5", models: "sonnet, opus", ips: "10.0.0.0/8,\n192.168.0.1", tools: "", maxTokens: "" });
    expect(body).toEqual({
      name: "n", expires_at: undefined,
      usage_limit: { requests_per_minute: 5, requests_per_day: 0, tokens_per_day: 0 },
      permissions: { models: ["sonnet", "opus"], max_tokens: 0, allow_streaming: true },
      metadata: { user_id: "", project: "", description: "" },
      max_concurrent_requests: 0, cost_usd_per_day: 0, allowed_ips: ["10.0.0.0/8", "192.168.0.1"], require_signature: false, tools: [],
    });
  });

  test("passes a bad number through for the API to name", () => {
    expect(toCreate({ ...emptyKeyForm, name: "n", rpd: "-3" }).usage_limit?.requests_per_day).toBe(-3);
  });

  test("round-trips a key and clears an emptied expiry", () => {
    const v = formFromKey(key);
    const same = toUpdate(v, key);
    expect(same.usage_limit).toEqual(key.usage_limit);
    expect(same.permissions).toEqual(key.permissions);
    expect(same.allowed_ips).toEqual(key.allowed_ips);
    expect(same.tools).toEqual(["Read"]);
    expect(Date.parse(same.expires_at!)).toBe(Date.parse("2026-12-31T00:00:00Z"));
    const cleared = toUpdate({ ...v, expires: "" }, key);
    expect(cleared.clear_expiry).toBe(true);
    expect(cleared.expires_at).toBeUndefined();
    expect(toUpdate({ ...v, expires: "" }, { ...key, expires_at: null }).clear_expiry).toBeUndefined();
  });
});
