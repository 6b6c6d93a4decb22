// The streaming helper: what openapi-typescript and openapi-fetch do not do. They
// type a streamed chat's events (the spec lists them) but hand over the body as
// bytes; this parses it into those typed events. Web APIs only (fetch streams,
// TextDecoder), so it runs in browsers and Node 20 alike. The Go client's
// openapi/go/stream.go is the same helper in Go.
import type { Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

type Problem = components["schemas"]["Problem"];
type ChatRequest = components["schemas"]["ChatRequest"];
type ChatResponse = components["schemas"]["ChatResponse"];
type MediaType = `${string}/${string}`; // openapi-fetch's

/**
 * One server-sent event: its name (the `event:` field, "message" when absent), its
 * `id:` when it has one, and its data lines joined by newlines.
 */
export interface ServerSentEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * A typed event of a streamed chat, as the spec declares them: `start`, `queued`,
 * `delta`, then `done` (the reply) or `error` (a problem). Narrow on `event`.
 */
export type ChatEvent = operations["create-chat"]["responses"][200]["content"]["text/event-stream"][number];

/** ProblemError is a refused request (or an `error` event) as a thrown error. */
export class ProblemError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(`ccgateway: ${status} ${problem.code}: ${problem.detail || problem.title}`);
    this.name = "ProblemError";
    this.status = status;
    this.problem = problem;
  }
}

/**
 * readEvents yields the events of a text/event-stream body in order (the WHATWG
 * parsing rules: LF, CR or CRLF line ends, comments skipped, an event without data
 * and an unterminated last event dropped). Leaving the loop early, or an aborted
 * signal, cancels the body.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // strips a leading BOM
  let buf = "";
  let event = "";
  let id: string | undefined;
  let data: string[] = [];
  let finished = false;
  try {
    while (!signal?.aborted) {
      const { value, done } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let pos = 0;
      for (;;) {
        let end = pos;
        while (end < buf.length && buf[end] !== "\n" && buf[end] !== "\r") end++;
        // No line end yet, or a CR whose LF may be in the next chunk.
        if (end === buf.length || (buf[end] === "\r" && end + 1 === buf.length && !done)) break;
        const line = buf.slice(pos, end);
        pos = end + (buf[end] === "\r" && buf[end + 1] === "\n" ? 2 : 1);
        if (line === "") {
          if (data.length > 0) yield { event: event || "message", ...(id === undefined ? {} : { id }), data: data.join("\n") };
          event = "";
          id = undefined;
          data = [];
          continue;
        }
        if (line[0] === ":") continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? "" : line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1);
        if (field === "event") event = v;
        else if (field === "data") data.push(v);
        else if (field === "id" && !v.includes("\0")) id = v;
      }
      buf = buf.slice(pos);
      if (done) {
        finished = true;
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

const chatEventNames = new Set<string>(["start", "queued", "delta", "done", "error"] satisfies ChatEvent["event"][]);

/** The answer of an openapi-fetch call made with `parseAs: "stream"`. */
export interface StreamResult {
  response: Response;
  error?: unknown;
}

/**
 * chatEvents decodes a streamed chat answer: a 200 text/event-stream body becomes
 * typed events; any other answer throws, a ProblemError when it is a problem.
 * Events a newer gateway may add are skipped.
 */
export async function chatEvents({ response, error }: StreamResult, signal?: AbortSignal): Promise<AsyncGenerator<ChatEvent>> {
  const type = (response.headers.get("Content-Type") ?? "").split(";")[0].trim();
  if (!response.ok || type !== "text/event-stream" || !response.body) {
    if (isProblem(error)) throw new ProblemError(response.status, error);
    if (response.body && !response.bodyUsed) await response.body.cancel().catch(() => undefined);
    const shown = typeof error === "string" ? error : JSON.stringify(error ?? "");
    throw new Error(`ccgateway: expected a 200 event stream, got ${response.status} ${type}: ${shown.slice(0, 200)}`);
  }
  const body = response.body;
  return (async function* () {
    for await (const ev of readEvents(body, signal)) {
      if (!chatEventNames.has(ev.event)) continue;
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        throw new Error(`ccgateway: a "${ev.event}" event: ${(e as Error).message}`);
      }
      yield { event: ev.event, data } as ChatEvent;
    }
  })();
}

/** What a streamed call passes on to fetch besides the body. */
export interface StreamInit {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * chatStream sends POST /api/chat with stream=true and returns its typed events.
 * A refusal before the stream starts (a 4xx or 5xx problem) throws a ProblemError.
 */
export async function chatStream<M extends MediaType>(client: Client<paths, M>, body: ChatRequest, init: StreamInit = {}): Promise<AsyncGenerator<ChatEvent>> {
  const res = await client.POST("/api/chat", { body: { ...body, stream: true }, headers: init.headers, signal: init.signal, parseAs: "stream" });
  return chatEvents(res, init.signal);
}

/** continueConversationStream sends a conversation's next turn with stream=true, as chatStream does. */
export async function continueConversationStream<M extends MediaType>(
  client: Client<paths, M>,
  id: string, body: ChatRequest, init: StreamInit = {}): Promise<AsyncGenerator<ChatEvent>> {
  const res = await client.POST("/api/conversations/{id}/continue", {
    params: { path: { id } },
    body: { ...body, stream: true },
    headers: init.headers,
    signal: init.signal,
    parseAs: "stream",
  });
  return chatEvents(res, init.signal);
}

/**
 * chatText collects a streamed chat: the reply of its `done` event, or its `error`
 * event thrown as a ProblemError.
 */
export async function chatText(events: AsyncIterable<ChatEvent>): Promise<ChatResponse> {
  for await (const ev of events) {
    if (ev.event === "done") return ev.data;
    if (ev.event === "error") throw new ProblemError(ev.data.status, ev.data);
  }
  throw new Error("ccgateway: the event stream ended without a done or error event");
}

function isProblem(v: unknown): v is Problem {
  return typeof v === "object" && v !== null && typeof (v as Problem).code === "string" && typeof (v as Problem).status === "number";
}
