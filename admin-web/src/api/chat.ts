// The Playground's chat: POST /api/chat with stream=true, authenticated with the
// API key the admin pasted (never the admin token, never stored).
import { useQuery } from "@tanstack/react-query";
import { chatStream, type Schema } from "../../../openapi/ts";
import { client, unwrap } from "./client";
import { toApiError } from "./errors";

export type ChatResponse = Schema<"ChatResponse">;
export type ChatHandlers = { onStart?: (s: Schema<"StartEvent">) => void; onDelta: (text: string) => void };

export async function streamChat(apiKey: string, body: Schema<"ChatRequest">, h: ChatHandlers, signal?: AbortSignal): Promise<ChatResponse> {
  try {
    const events = await chatStream(client, body, { headers: { Authorization: `Bearer ${apiKey}` }, signal });
    for await (const ev of events) {
      if (ev.event === "start") h.onStart?.(ev.data);
      else if (ev.event === "delta") h.onDelta(ev.data.text);
      else if (ev.event === "done") return ev.data;
      else if (ev.event === "error") throw toApiError(ev.data, ev.data.status);
    }
  } catch (e) {
    throw toApiError(e);
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
