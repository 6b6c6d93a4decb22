import { describe, expect, test } from "vitest";
import { chatEvents, chatText, ProblemError, readEvents, type ChatEvent } from "..";

function stream(chunks: string[], onCancel?: () => void): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      chunks.forEach((x) => c.enqueue(enc.encode(x)));
      if (!onCancel) c.close();
    },
    cancel: onCancel,
  });
}

async function all(chunks: string[]) {
  const out = [];
  for await (const ev of readEvents(stream(chunks))) out.push(ev);
  return out;
}

function sse(chunks: string[], status = 200): Response {
  return new Response(stream(chunks), { status, headers: { "Content-Type": "text/event-stream" } });
}

async function collect(events: AsyncIterable<ChatEvent>) {
  const out: ChatEvent[] = [];
  for await (const ev of events) out.push(ev);
  return out;
}

describe("readEvents", () => {
  test("parses events split anywhere across chunks, skipping comments", async () => {
    expect(await all([": connected\n\nevent: requ", "est\ndata: {\"a\":", "1}\n", "\nevent: dropped\ndata: {\"missed\":2}\n\n"])).toEqual([
      { event: "request", data: '{"a":1}' },
      { event: "dropped", data: '{"missed":2}' },
    ]);
  });

  test("accepts CRLF and CR line ends, also a CRLF split across chunks, and joins multi-line data", async () => {
    expect(await all(["event: delta\r\ndata: a\r", "\ndata: b\r\n\r", "\n", "data: plain\r\rid: 7\ndata:x\n\n"])).toEqual([
      { event: "delta", data: "a\nb" },
      { event: "message", data: "plain" },
      { event: "message", id: "7", data: "x" },
    ]);
  });

  test("decodes UTF-8 split inside a character and drops a leading BOM", async () => {
    const bytes = new TextEncoder().encode("\uFEFFdata: héllo 世界\n\n");
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    const out = [];
    for await (const ev of readEvents(body)) out.push(ev);
    expect(out).toEqual([{ event: "message", data: "héllo 世界" }]);
  });

  test("drops an unterminated last event and an event without data", async () => {
    expect(await all(["event: ping\n\nevent: start\ndata: {}\n"])).toEqual([]);
  });

  test("leaving the loop early cancels the body", async () => {
    let canceled = false;
    for await (const ev of readEvents(stream(["data: 1\n\ndata: 2\n\n"], () => (canceled = true)))) {
      expect(ev.data).toBe("1");
      break;
    }
    expect(canceled).toBe(true);
  });
});

describe("chatEvents", () => {
  test("types the events of a streamed chat and skips unknown ones", async () => {
    const res = sse([
      'event: start\ndata: {"conversation_id":"c1","model":"claude-sonnet-5-5"}\n\n',
      ": keep-alive\n\n",
      'event: queued\ndata: {"position":1}\n\n',
      'event: delta\ndata: {"text":"he"}\n\nevent: delta\ndata: {"text":"llo"}\n\n',
      'event: novelty\ndata: {"x":1}\n\n',
      'event: done\ndata: {"content":"hello","conversation_id":"c1","model":"claude-sonnet-5-5"}\n\n',
    ]);
    const events = await collect(await chatEvents({ response: res }));
    expect(events.map((e) => e.event)).toEqual(["start", "queued", "delta", "delta", "done"]);
    const text = events.map((e) => (e.event === "delta" ? e.data.text : "")).join("");
    expect(text).toBe("hello");
  });

  test("chatText returns the done event's reply", async () => {
    const reply = await chatText(await chatEvents({ response: sse(['event: delta\ndata: {"text":"hi"}\n\nevent: done\ndata: {"content":"hi","conversation_id":"c1"}\n\n']) }));
    expect(reply.content).toBe("hi");
  });

  test("chatText throws an error event as a ProblemError", async () => {
    const events = await chatEvents({ response: sse(['event: error\ndata: {"status":504,"code":"timeout","title":"Gateway Timeout","detail":"the CLI went silent"}\n\n']) });
    const err = await chatText(events).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(504);
    expect((err as ProblemError).problem.code).toBe("timeout");
  });

  test("chatText fails on a stream that ends without done or error", async () => {
    await expect(chatText(await chatEvents({ response: sse(['event: start\ndata: {"conversation_id":"c","model":"m"}\n\n']) }))).rejects.toThrow(/ended without/);
  });

  test("a refused request throws its problem before any event", async () => {
    const problem = { status: 401, code: "unauthorized", title: "Unauthorized", detail: "missing API key" };
    const response = new Response(JSON.stringify(problem), { status: 401, headers: { "Content-Type": "application/problem+json" } });
    const err = await chatEvents({ response, error: problem }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).problem).toEqual(problem);
    expect((err as Error).message).toBe("ccgateway: 401 unauthorized: missing API key");
  });

  test("a 200 that is not an event stream is an error", async () => {
    const response = new Response('{"content":"x"}', { status: 200, headers: { "Content-Type": "application/json" } });
    await expect(chatEvents({ response })).rejects.toThrow(/expected a 200 event stream, got 200 application\/json/);
  });

  test("a malformed event names its event", async () => {
    const events = await chatEvents({ response: sse(["event: delta\ndata: {nope\n\n"]) });
    await expect(collect(events)).rejects.toThrow(/a "delta" event/);
  });
});
