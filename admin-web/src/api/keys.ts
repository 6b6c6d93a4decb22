import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";

export type APIKey = Schema<"APIKeyBody">;
export type APIKeyCreate = Schema<"APIKeyCreate">;
export type APIKeyUpdate = Schema<"APIKeyUpdate">;
export type KeyStatus = APIKey["status"];

export const keyQueries = {
  all: ["keys"] as const,
  list: (q: KeyListQuery) => ["keys", "list", q] as const,
  one: (id: string) => ["keys", "one", id] as const,
  names: ["keys", "names"] as const,
};

export type KeyListQuery = { search?: string; status?: KeyStatus; limit: number; offset: number };

export function useKeys(q: KeyListQuery) {
  return useQuery({
    queryKey: keyQueries.list(q),
    queryFn: () => unwrap(client.GET("/admin/api-keys", { params: { query: { ...q, search: q.search || undefined } } })),
    placeholderData: keepPreviousData,
  });
}

export function useKey(id: string) {
  return useQuery({ queryKey: keyQueries.one(id), queryFn: () => unwrap(client.GET("/admin/api-keys/{id}", { params: { path: { id } } })) });
}

/** useKeyNames maps key ids to names (the first 500 keys), for tables that show names. */
export function useKeyNames() {
  const q = useQuery({
    queryKey: keyQueries.names,
    queryFn: () => unwrap(client.GET("/admin/api-keys", { params: { query: { limit: 500, offset: 0 } } })),
    staleTime: 10_000,
  });
  const names = new Map<string, string>();
  for (const k of q.data?.items ?? []) names.set(k.id, k.name);
  return { names, keys: q.data?.items ?? [] };
}

function useInvalidateKeys() {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: keyQueries.all });
}

export function useCreateKey() {
  const done = useInvalidateKeys();
  return useMutation({ mutationFn: (body: APIKeyCreate) => unwrap(client.POST("/admin/api-keys", { body })), onSuccess: done });
}

export function useUpdateKey() {
  const done = useInvalidateKeys();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: APIKeyUpdate }) => unwrap(client.PUT("/admin/api-keys/{id}", { params: { path: { id } }, body })),
    onSuccess: done,
  });
}

export function useRotateKey() {
  const done = useInvalidateKeys();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: Schema<"APIKeyRotate"> }) =>
      unwrap(client.POST("/admin/api-keys/{id}/rotate", { params: { path: { id } }, body })),
    onSuccess: done,
  });
}

export function useDeleteKey() {
  const done = useInvalidateKeys();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE("/admin/api-keys/{id}", { params: { path: { id } } })),
    onSuccess: done,
  });
}
