// The Playground's chat: POST /api/chat with stream=true, authenticated with the
// API key the admin pasted (never the admin token, never stored).
import { useQuery } from "@tanstack/react-query";
import type { Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";
import { toApiError } from "./errors";
import { readSSE } from "./sse";

export type ChatResponse = Schema<"ChatResponse">;
export type ChatHandlers = { onStart?: (s: Schema<"StartEvent">) => void; onDelta: (text: string) => void };

export async function streamChat(apiKey: string, body: Schema<"ChatRequest">, h: ChatHandlers, signal?: AbortSignal): Promise<ChatResponse> {
  const { response } = await client.POST("/api/chat", {
    body: { ...body, stream: true },
    headers: { Authorization: `Bearer ${apiKey}` },
    parseAs: "stream",
    signal,
  });
  if (!response.ok || !response.body) {
    let problem: unknown;
    try {
      problem = await response.json();
    } catch {
      problem = undefined;
    }
    throw toApiError(problem, response.status);
  }
  for await (const ev of readSSE(response.body, signal)) {
    const data = JSON.parse(ev.data);
    if (ev.event === "start") h.onStart?.(data);
    else if (ev.event === "delta") h.onDelta(data.text);
    else if (ev.event === "done") return data as ChatResponse;
    else if (ev.event === "error") throw toApiError(data, data.status ?? 500);
  }
  throw toApiError(new Error("the stream ended without a reply"));
}

export function useModels(apiKey: string) {
  return useQuery({
    queryKey: ["models", apiKey],
    queryFn: () => unwrap(client.GET("/api/models", { headers: { Authorization: `Bearer ${apiKey}` } })),
    enabled: apiKey.startsWith("sk-ccg-"),
    retry: false,
  });
}
