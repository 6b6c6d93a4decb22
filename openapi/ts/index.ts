// The typed client of ccgateway's API: the types are generated from openapi.yaml
// (schema.d.ts, by `make generate`; a test fails when it is stale) and requests go
// through openapi-fetch, so a changed spec breaks callers at compile time. stream.ts
// adds what the generator lacks: a streamed chat's events, parsed and typed.
import createFetchClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths, Middleware };
export * from "./stream";

/** Schemas by name, e.g. `Schema<"APIKeyBody">`. */
export type Schema<N extends keyof components["schemas"]> = components["schemas"][N];

/**
 * The media types a client's answers are typed with: JSON and problems. A chat's
 * answer is JSON or an event stream (stream: true); typing it as both would make
 * `data.content` a type error, so streams go through stream.ts's helpers instead.
 */
export type JSONMedia = `application/${string}json`;

/** The client type for ccgateway's paths. */
export type GatewayClient = Client<paths, JSONMedia>;

/** createClient makes a client for a gateway; baseUrl "" means the page's origin. */
export function createClient(options: ClientOptions = {}): GatewayClient {
  return createFetchClient<paths, JSONMedia>(options);
}
