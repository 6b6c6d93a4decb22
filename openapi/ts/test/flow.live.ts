// The TypeScript client through what a new user does, against a real gateway
// (started by flow_test.go: the real CLI, the fake Anthropic API, which answers
// "echo: " and the last user message): admin login, a key, a chat, a stream, a
// conversation created, continued (also streamed), listed, read and deleted, usage,
// the Vercel AI SDK on /v1, and a key rotation. It mirrors openapi/go's TestSDKFlow.
// The tests run in order and share the state they make (bail stops at the first failure).
import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, generateText, jsonSchema, Output, streamText, tool } from "ai";
import { expect, test } from "vitest";
import { chatStream, chatText, continueConversationStream, createClient, ProblemError, type ChatEvent, type Schema } from "..";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite with go test ./openapi/ts -run TestTypeScriptClient`);
  return v;
}

const url = env("GATEWAY_URL");
const c = createClient({ baseUrl: url });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

let admin: Record<string, string>;
let created: Schema<"APIKeyBody">;
let key: Record<string, string>;
let conversation: string;

test("admin login", async () => {
  const { data, error } = await c.POST("/admin/login", { body: { username: "admin", password: env("ADMIN_PASSWORD") } });
  expect(error).toBeUndefined();
  admin = bearer(data!.token);
});

test("create a key", async () => {
  const { data, error, response } = await c.POST("/admin/api-keys", { body: { name: "ts-sdk" }, headers: admin });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(201);
  expect(data!.key).toMatch(/^sk-/);
  created = data!;
  key = bearer(created.key);
});

test("chat", async () => {
  const { data, error } = await c.POST("/api/chat", { body: { message: "hello sdk" }, headers: key });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(data!.content).toBe("echo: hello sdk");
  expect(data!.conversation_id).not.toBe("");
});

test("stream a chat with the helper", async () => {
  const kinds: ChatEvent["event"][] = [];
  let deltas = "";
  let done: Schema<"ChatResponse"> | undefined;
  for await (const ev of await chatStream(c, { message: "stream please" }, { headers: key })) {
    kinds.push(ev.event);
    switch (ev.event) {
      case "delta":
        deltas += ev.data.text;
        break;
      case "done":
        done = ev.data;
        break;
      case "error":
        throw new ProblemError(ev.data.status, ev.data);
    }
  }
  expect(kinds[0]).toBe("start");
  expect(kinds.at(-1)).toBe("done");
  expect(deltas).toBe("echo: stream please");
  expect(done?.content).toBe(deltas);
});

test("a refused stream throws its problem", async () => {
  const err = await chatStream(c, { message: "x" }, { headers: bearer("sk-ccg-not-a-key") }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProblemError);
  expect((err as ProblemError).status).toBe(401);
  expect((err as ProblemError).problem.code).toBe("unauthorized");
});

test("a conversation: create, continue, continue streamed", async () => {
  const conv = await c.POST("/api/conversations", { body: { title: "ts conversation", system_prompt: "Be brief, TypeScript." }, headers: key });
  expect(conv.error, JSON.stringify(conv.error)).toBeUndefined();
  expect(conv.response.status).toBe(201);
  conversation = conv.data!.id;
  const path = { params: { path: { id: conversation } }, headers: key };

  const turn = await c.POST("/api/conversations/{id}/continue", { ...path, body: { message: "first" } });
  expect(turn.error, JSON.stringify(turn.error)).toBeUndefined();
  expect(turn.data!.content).toBe("echo: first");
  expect(turn.data!.conversation_id).toBe(conversation);

  const second = await chatText(await continueConversationStream(c, conversation, { message: "second" }, { headers: key }));
  expect(second.content).toBe("echo: second");
});

test("list, page, read and delete conversations", async () => {
  const list = await c.GET("/api/conversations", { headers: key });
  expect(list.error, JSON.stringify(list.error)).toBeUndefined();
  expect(list.data!.total).toBe(3); // chat, stream, created
  expect(list.data!.items.map((c) => c.id)[0]).toBe(conversation); // the most recently updated first
  expect([list.data!.items.length, list.data!.limit, list.data!.offset]).toEqual([3, 50, 0]);

  const path = { params: { path: { id: conversation } }, headers: key };
  const older = await c.GET("/api/conversations/{id}", { ...path, params: { ...path.params, query: { messages_limit: 2, messages_before: 3 } } });
  expect(older.error, JSON.stringify(older.error)).toBeUndefined();
  expect(older.data!.messages.map((m) => m.seq)).toEqual([1, 2]);
  expect(older.data!.messages_has_more).toBe(false);
  expect(older.data!.messages_total).toBe(4);

  const detail = await c.GET("/api/conversations/{id}", path);
  expect(detail.data!.messages.map((m) => `${m.role}:${m.content}`)).toEqual(["user:first", "assistant:echo: first", "user:second", "assistant:echo: second"]);

  const del = await c.DELETE("/api/conversations/{id}", path);
  expect(del.response.status).toBe(204);
  const gone = await c.GET("/api/conversations/{id}", path);
  expect(gone.response.status).toBe(404);
  expect(gone.error?.code).toBe("not_found");
});

test("own usage counts the four turns", async () => {
  await expect
    .poll(
      async () => {
        const { data } = await c.GET("/api/usage", { headers: key });
        return data !== undefined && data.today.requests >= 4 && data.today.response_tokens > 0;
      },
      { timeout: 10_000, interval: 200 },
    )
    .toBe(true);
});

// The Vercel AI SDK's default OpenAI model (openai(model): the Responses API, POST
// /v1/responses) with the key as its bearer token. Every request it sends is kept,
// to show what it sent when the gateway refuses one.
const sent: string[] = [];
const sentSoFar = () => `requests sent:\n${sent.join("\n")}`;
function openai(model: string) {
  const provider = createOpenAI({
    baseURL: `${url}/v1`,
    apiKey: created.key,
    fetch: async (input, init) => {
      sent.push(`${init?.method ?? "GET"} ${String(input)} ${typeof init?.body === "string" ? init.body : ""}`);
      return fetch(input, init);
    },
  });
  return provider(model);
}

test("Vercel AI SDK: generateText", async () => {
  const result = await generateText({
    model: openai("claude-sonnet-5-5"),
    system: "Answer in one line.",
    prompt: "hello vercel",
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${sentSoFar()}`);
  });
  expect(result.text, sentSoFar()).toBe("echo: hello vercel");
  expect(result.finishReason).toBe("stop");
  expect(result.usage.outputTokens).toBeGreaterThan(0);
  expect(result.response.modelId).toBe("claude-sonnet-5-5");
});

test("Vercel AI SDK: streamText", async () => {
  const errors: unknown[] = [];
  const result = streamText({
    model: openai("claude-sonnet-5-5"),
    prompt: "stream vercel",
    onError: ({ error }) => {
      errors.push(error);
    },
  });
  const parts: string[] = [];
  for await (const part of result.textStream) parts.push(part);
  expect(errors.map(String), sentSoFar()).toEqual([]);
  expect(parts.join(""), sentSoFar()).toBe("echo: stream vercel");
  expect(parts.length).toBeGreaterThan(1);
  expect(await result.finishReason).toBe("stop");
  expect(await result.text).toBe("echo: stream vercel");
});

test("Vercel AI SDK: what the gateway cannot honour is a 400 naming the field", async () => {
  const schema = jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false });
  const refused = [
    generateText({ model: openai("claude-sonnet-5-5"), prompt: "weather?", maxRetries: 0, tools: { weather: tool({ inputSchema: schema, execute: async () => "sunny" }) } }),
    generateText({ model: openai("claude-sonnet-5-5"), prompt: "a city", maxRetries: 0, output: Output.object({ schema }) }),
  ];
  const errors = await Promise.all(refused.map((p) => p.then(() => undefined, (e: unknown) => e)));
  expect(errors.map((e) => (APICallError.isInstance(e) ? [e.statusCode, e.message] : String(e))), sentSoFar()).toEqual([
    [400, "tools (function calling, web search, file search, code interpreter) are not supported by this gateway"],
    [400, 'text.format "json_schema" is not supported: only plain text replies'],
  ]);
});

test("rotate the key", async () => {
  const rotated = await c.POST("/admin/api-keys/{id}/rotate", { params: { path: { id: created.id } }, body: { grace_period_seconds: 0 }, headers: admin });
  expect(rotated.error, JSON.stringify(rotated.error)).toBeUndefined();
  expect(rotated.data!.key).not.toBe(created.key);
  expect(rotated.data!.key).not.toBe("");

  const models = await c.GET("/api/models", { headers: bearer(rotated.data!.key) });
  expect(models.response.status).toBe(200);
  const old = await c.GET("/api/models", { headers: key });
  expect(old.response.status).toBe(401);
  expect(old.error?.status).toBe(401);
});
