import { describe, expect, test } from "vitest";
import { readSSE } from "./sse";

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      chunks.forEach((x) => c.enqueue(enc.encode(x)));
      c.close();
    },
  });
}

async function all(chunks: string[]) {
  const out = [];
  for await (const ev of readSSE(stream(chunks))) out.push(ev);
  return out;
}

describe("readSSE", () => {
  test("parses events split anywhere across chunks, skipping comments", async () => {
    expect(await all([": connected\n\nevent: requ", "est\ndata: {\"a\":", "1}\n", "\nevent: dropped\ndata: {\"missed\":2}\n\n"])).toEqual([
      { event: "request", data: '{"a":1}' },
      { event: "dropped", data: '{"missed":2}' },
    ]);
  });

  test("accepts CRLF line ends and joins multi-line data", async () => {
    expect(await all(["event: delta\r\ndata: a\r\ndata: b\r\n\r\n", "data: plain\n\n"])).toEqual([
      { event: "delta", data: "a\nb" },
      { event: "message", data: "plain" },
    ]);
  });

  test("drops an unterminated last event", async () => {
    expect(await all(["event: start\ndata: {}\n"])).toEqual([]);
  });
});
