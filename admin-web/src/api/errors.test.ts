import { describe, expect, test } from "vitest";
import { ApiError, fieldErrors, toApiError } from "./errors";

describe("fieldErrors", () => {
  test("maps problem locations to form fields", () => {
    const err = new ApiError({
      status: 422, title: "Unprocessable Entity", code: "validation_failed",
      errors: [
        { location: "body.allowed_ips[1]", message: "not an IP address or CIDR" },
        { location: "body.usage_limit.requests_per_day", message: "expected number >= 0" },
        { location: "body.allowed_ips[2]", message: "also bad" },
        { location: "body", message: "whole body" },
      ],
    });
    expect(fieldErrors(err)).toEqual({
      allowed_ips: "not an IP address or CIDR; also bad",
      "usage_limit.requests_per_day": "expected number >= 0",
      _: "whole body",
    });
  });

  test("has nothing for other errors", () => {
    expect(fieldErrors(new Error("boom"))).toEqual({});
    expect(fieldErrors(undefined)).toEqual({});
  });
});

describe("toApiError", () => {
  test("keeps a problem body", () => {
    const e = toApiError({ status: 403, title: "Forbidden", code: "key_suspended", detail: "this API key is suspended" }, 403);
    expect(e.status).toBe(403);
    expect(e.code).toBe("key_suspended");
    expect(e.message).toBe("this API key is suspended");
  });

  test("wraps a network failure with the status it had", () => {
    const e = toApiError(new TypeError("Failed to fetch"), 0);
    expect(e.code).toBe("client_error");
    expect(e.message).toBe("Failed to fetch");
  });
});
