import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { operations, Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";

export type RequestEvent = Schema<"RequestEvent">;
export type RequestQuery = NonNullable<operations["list-requests"]["parameters"]["query"]>;

export const requestQueries = { all: ["requests"] as const, list: (q: RequestQuery) => ["requests", q] as const };

export function useRequests(q: RequestQuery, refetchInterval?: number) {
  return useQuery({
    queryKey: requestQueries.list(q),
    queryFn: () => unwrap(client.GET("/admin/requests", { params: { query: q } })),
    placeholderData: keepPreviousData,
    refetchInterval,
  });
}
