// The one HTTP client of the console, generated from openapi/ (types in
// openapi/ts/schema.d.ts). Admin calls carry the session's token; a 401 from an
// admin operation ends the session.
import { createClient, type Middleware } from "../../../openapi/ts";
import { ApiError, toApiError } from "./errors";
import { expire, session } from "./session";

const auth: Middleware = {
  onRequest({ request }) {
    const url = new URL(request.url);
    const tok = session.token();
    if (url.pathname.startsWith("/admin/") && url.pathname !== "/admin/login" && tok && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${tok}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (response.status === 401 && path.startsWith("/admin/") && path !== "/admin/login") expire();
    return response;
  },
};

export const client = createClient({ baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin });
client.use(auth);

/** unwrap returns data or throws the problem as an ApiError. */
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let res;
  try {
    res = await p;
  } catch (e) {
    throw toApiError(e);
  }
  if (res.error !== undefined || !res.response.ok) throw toApiError(res.error, res.response.status);
  return res.data as T;
}

export { ApiError };
