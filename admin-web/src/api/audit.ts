import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { operations, Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";

export type AuditEntry = Schema<"AuditEntryBody">;
export type AuditQuery = NonNullable<operations["list-audit-log"]["parameters"]["query"]>;

export const auditQueries = { all: ["audit"] as const, list: (q: AuditQuery) => ["audit", q] as const };

export function useAuditLog(q: AuditQuery) {
  return useQuery({
    queryKey: auditQueries.list(q),
    queryFn: () => unwrap(client.GET("/admin/audit-log", { params: { query: q } })),
    placeholderData: keepPreviousData,
  });
}
