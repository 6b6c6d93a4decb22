import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";

export type PolicyList = Schema<"PolicyList">;
export type PolicyVersion = Schema<"PolicyVersionBody">;
export type PolicyUpload = Schema<"PolicyUpload">;
export type PolicyDecision = Schema<"PolicyDecision">;

export const policyQueries = {
  all: ["policies"] as const,
  list: ["policies", "list"] as const,
  versions: (name: string) => ["policies", "versions", name] as const,
};

export function usePolicies() {
  return useQuery({ queryKey: policyQueries.list, queryFn: () => unwrap(client.GET("/admin/policies")) });
}

export function usePolicyVersions(name: string | null) {
  return useQuery({
    queryKey: policyQueries.versions(name ?? ""),
    queryFn: () => unwrap(client.GET("/admin/policies/{name}/versions", { params: { path: { name: name ?? "" } } })),
    enabled: !!name,
  });
}

function useInvalidate() {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: policyQueries.all });
}

export function useUploadPolicy() {
  const done = useInvalidate();
  return useMutation({ mutationFn: (body: PolicyUpload) => unwrap(client.POST("/admin/policies", { body })), onSuccess: done });
}

export function useActivatePolicy() {
  const done = useInvalidate();
  return useMutation({
    mutationFn: ({ name, version }: { name: string; version: number }) =>
      unwrap(client.POST("/admin/policies/{name}/activate", { params: { path: { name } }, body: { version } })),
    onSuccess: done,
  });
}

export function useRollbackPolicy() {
  const done = useInvalidate();
  return useMutation({
    mutationFn: (name: string) => unwrap(client.POST("/admin/policies/{name}/rollback", { params: { path: { name } } })),
    onSuccess: done,
  });
}

export function useDeletePolicy() {
  const done = useInvalidate();
  return useMutation({
    mutationFn: (name: string) => unwrap(client.DELETE("/admin/policies/{name}", { params: { path: { name } } })),
    onSuccess: done,
  });
}

export function useTestPolicy() {
  return useMutation({
    mutationFn: ({ name, body }: { name: string; body: Schema<"PolicyDryRun"> }) =>
      unwrap(client.POST("/admin/policies/{name}/test", { params: { path: { name } }, body })),
  });
}

/** fileToBase64 reads an uploaded .wasm for the upload body. */
export async function fileToBase64(f: Blob): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
