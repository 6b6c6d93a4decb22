// The typed client of ccgateway's API: the types are generated from openapi.yaml
// (schema.d.ts, by `make generate`; a test fails when it is stale) and requests go
// through openapi-fetch, so a changed spec breaks callers at compile time.
import createFetchClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths, Middleware };

/** Schemas by name, e.g. `Schema<"APIKeyBody">`. */
export type Schema<N extends keyof components["schemas"]> = components["schemas"][N];

/** The client type for ccgateway's paths. */
export type GatewayClient = Client<paths>;

/** createClient makes a client for a gateway; baseUrl "" means the page's origin. */
export function createClient(options: ClientOptions = {}): GatewayClient {
  return createFetchClient<paths>(options);
}
