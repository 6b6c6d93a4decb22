import { useQuery } from "@tanstack/react-query";
import type { Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";

export type ProcessStatus = Schema<"ProcessStatus">;
export type ReadyBody = Schema<"ReadyBody">;

export function useProcesses(refetchInterval = 3_000) {
  return useQuery({ queryKey: ["processes"], queryFn: () => unwrap(client.GET("/admin/processes")), refetchInterval });
}

/** useReadiness reads /readyz, whose 503 body is the same ReadyBody. */
export function useReadiness() {
  return useQuery({
    queryKey: ["readyz"],
    queryFn: async (): Promise<ReadyBody> => {
      const { data, error } = await client.GET("/readyz");
      if (data) return data;
      return error as unknown as ReadyBody;
    },
    refetchInterval: 15_000,
  });
}
