import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";

export type Granularity = Schema<"UsageSeries">["granularity"];
export type UsageSeries = Schema<"UsageSeries">;
export type UsageBucket = Schema<"UsageBucketBody">;
export type Period = { granularity: Granularity; from: string; to: string };

export const usageQueries = {
  all: ["usage"] as const,
  series: (p: Period) => ["usage", "series", p] as const,
  summary: (p: Period) => ["usage", "summary", p] as const,
  key: (id: string, p: Period) => ["usage", "key", id, p] as const,
};

const live = { refetchInterval: 15_000, placeholderData: keepPreviousData };

export function useUsageSeries(p: Period) {
  return useQuery({ queryKey: usageQueries.series(p), queryFn: () => unwrap(client.GET("/admin/usage", { params: { query: p } })), ...live });
}

export function useUsageSummary(p: Period) {
  return useQuery({
    queryKey: usageQueries.summary(p),
    queryFn: () => unwrap(client.GET("/admin/usage/summary", { params: { query: { from: p.from, to: p.to } } })),
    ...live,
  });
}

export function useKeyUsage(id: string, p: Period) {
  return useQuery({
    queryKey: usageQueries.key(id, p),
    queryFn: () => unwrap(client.GET("/admin/api-keys/{id}/usage", { params: { path: { id }, query: p } })),
    ...live,
  });
}

/** useRequestsLastMinute counts the requests that ended in the last 60 seconds. */
export function useRequestsLastMinute() {
  return useQuery({
    queryKey: ["usage", "last-minute"],
    queryFn: async () => {
      const to = new Date();
      const from = new Date(to.getTime() - 60_000);
      const s = await unwrap(client.GET("/admin/usage/summary", { params: { query: { from: from.toISOString(), to: to.toISOString() } } }));
      return s.totals.requests;
    },
    refetchInterval: 5_000,
  });
}
