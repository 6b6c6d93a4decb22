// The live request feed: GET /admin/events read as a stream (EventSource cannot
// send the Authorization header), reconnecting with backoff.
import { useEffect, useRef, useState } from "react";
import { readEvents } from "../../../openapi/ts";
import { client } from "./client";
import type { RequestEvent } from "./requests";

export type FeedState = "connecting" | "open" | "retrying";

export function useRequestFeed(onEvent: (e: RequestEvent) => void, filter: { api_key_id?: string; errors_only?: boolean }) {
  const [state, setState] = useState<FeedState>("connecting");
  const cb = useRef(onEvent);
  cb.current = onEvent;
  const { api_key_id, errors_only } = filter;
  useEffect(() => {
    const ctl = new AbortController();
    let attempt = 0;
    (async () => {
      while (!ctl.signal.aborted) {
        try {
          const { response } = await client.GET("/admin/events", {
            params: { query: { api_key_id: api_key_id || undefined, errors_only: errors_only || undefined } },
            parseAs: "stream",
            signal: ctl.signal,
          });
          if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
          setState("open");
          attempt = 0;
          for await (const ev of readEvents(response.body, ctl.signal)) {
            if (ev.event === "request") cb.current(JSON.parse(ev.data) as RequestEvent);
          }
        } catch {
          if (ctl.signal.aborted) return;
        }
        setState("retrying");
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt++, 15_000)));
      }
    })();
    return () => ctl.abort();
  }, [api_key_id, errors_only]);
  return state;
}
