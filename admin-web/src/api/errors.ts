import { ProblemError, type Schema } from "../../../openapi/ts";

export type Problem = Schema<"Problem">;

/** ApiError carries the gateway's RFC 9457 problem. */
export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
  }
  get status() {
    return this.problem.status;
  }
  get code() {
    return this.problem.code;
  }
}

/** toApiError turns whatever a call failed with into an ApiError. */
export function toApiError(err: unknown, status = 0): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ProblemError) return new ApiError(err.problem);
  if (err && typeof err === "object" && "status" in err && "title" in err) return new ApiError(err as Problem);
  const msg = err instanceof Error ? err.message : String(err ?? "request failed");
  return new ApiError({ status, title: msg, code: "client_error" });
}

/**
 * fieldErrors maps a 422 problem's errors to form fields: "body.usage_limit.requests_per_day"
 * becomes "usage_limit.requests_per_day", "body.allowed_ips[1]" becomes "allowed_ips".
 */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError)) return out;
  for (const e of err.problem.errors ?? []) {
    const loc = (e.location ?? "").replace(/^body\.?/, "").replace(/\[\d+\]/g, "");
    const field = loc || "_";
    out[field] = out[field] ? `${out[field]}; ${e.message}` : e.message ?? "invalid";
  }
  return out;
}
