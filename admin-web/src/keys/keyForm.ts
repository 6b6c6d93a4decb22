import type { APIKey, APIKeyCreate, APIKeyUpdate } from "../api/keys";
import { fromLocalInput, splitList, toLocalInput } from "../common/format";

/** KeyFormValues is the key form's state: every field as the user typed it. */
export type KeyFormValues = {
  name: string; expires: string;
  rpm: string; rpd: string; tpd: string; cost: string; concurrent: string;
  models: string; maxTokens: string; streaming: boolean;
  userId: string; project: string; description: string;
  ips: string; signature: boolean; tools: string;
};

export const emptyKeyForm: KeyFormValues = {
  name: "", expires: "", rpm: "0", rpd: "0", tpd: "0", cost: "0", concurrent: "0",
  models: "", maxTokens: "0", streaming: true, userId: "", project: "", description: "", ips: "", signature: false, tools: "",
};

export function formFromKey(k: APIKey): KeyFormValues {
  return {
    name: k.name, expires: toLocalInput(k.expires_at),
    rpm: String(k.usage_limit.requests_per_minute), rpd: String(k.usage_limit.requests_per_day), tpd: String(k.usage_limit.tokens_per_day),
    cost: String(k.cost_usd_per_day), concurrent: String(k.max_concurrent_requests),
    models: k.permissions.models.join(", "), maxTokens: String(k.permissions.max_tokens), streaming: k.permissions.allow_streaming,
    userId: k.metadata.user_id, project: k.metadata.project, description: k.metadata.description,
    ips: k.allowed_ips.join(", "), signature: k.require_signature, tools: k.tools.join(", "),
  };
}

// num sends what was typed: the API validates it and names the field when it is wrong.
const num = (s: string) => (s.trim() === "" ? 0 : Number(s));

/** toCreate builds the create body; every field is sent. */
export function toCreate(v: KeyFormValues): APIKeyCreate {
  return {
    name: v.name,
    expires_at: fromLocalInput(v.expires),
    usage_limit: { requests_per_minute: num(v.rpm), requests_per_day: num(v.rpd), tokens_per_day: num(v.tpd) },
    permissions: { models: splitList(v.models), max_tokens: num(v.maxTokens), allow_streaming: v.streaming },
    metadata: { user_id: v.userId, project: v.project, description: v.description },
    max_concurrent_requests: num(v.concurrent),
    cost_usd_per_day: num(v.cost),
    allowed_ips: splitList(v.ips),
    require_signature: v.signature,
    tools: splitList(v.tools),
  };
}

/** toUpdate builds the update body; an emptied expiry clears it. */
export function toUpdate(v: KeyFormValues, before: APIKey): APIKeyUpdate {
  const { expires_at, ...rest } = toCreate(v);
  return expires_at ? { ...rest, expires_at } : before.expires_at ? { ...rest, clear_expiry: true } : rest;
}
