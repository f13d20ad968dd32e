import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type StubModelServer, startStubModelServer } from "./stub-model-server.ts";

let stub: StubModelServer;
const chat = (body: object) =>
  fetch(`${stub.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "ping" }], ...body }),
  });

beforeAll(async () => {
  stub = await startStubModelServer();
});
afterAll(() => stub.close());
beforeEach(() => stub.reset());

describe("stub model server", () => {
  it("echoes as a JSON chat completion with usage", async () => {
    const body = (await (await chat({})).json()) as {
      choices: { message: { content: string } }[];
      usage: object;
    };
    expect(body.choices[0]?.message.content).toBe("echo: ping");
    expect(body.usage).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
  });

  it("streams SSE chunks ending in [DONE], with a usage chunk on request", async () => {
    const text = await (await chat({ stream: true, stream_options: { include_usage: true } })).text();
    const data = text.split("\n\n").filter(Boolean);
    expect(data.at(-1)).toBe("data: [DONE]");
    expect(JSON.parse(data.at(-2)?.slice(6) ?? "{}").usage.completion_tokens).toBe(2);
  });

  it("plays queued behaviours once each, then the default", async () => {
    stub.enqueue(
      { type: "error", status: 429, retryAfter: "3" },
      { type: "tool_call", calls: [{ name: "search", arguments: { q: "x" } }] },
      { type: "malformed" },
    );
    const limited = await chat({});
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    const toolCall = (await (await chat({})).json()) as {
      choices: { finish_reason: string; message: { tool_calls: { function: { arguments: string } }[] } }[];
    };
    expect(toolCall.choices[0]?.finish_reason).toBe("tool_calls");
    expect(toolCall.choices[0]?.message.tool_calls[0]?.function.arguments).toBe('{"q":"x"}');
    await expect((await chat({})).json()).rejects.toThrow();
    expect(((await (await chat({})).json()) as { object: string }).object).toBe("chat.completion");
    expect(stub.stats.total).toBe(4);
  });

  it("can be driven over HTTP by another process", async () => {
    const control = (path: string, body: object) =>
      fetch(`${stub.url.replace(/\/v1$/, "")}/__stub/${path}`, {
        method: "POST",
        body: JSON.stringify(body),
      });
    await control("default", { type: "reply", content: "scripted" });
    expect(
      ((await (await chat({})).json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
        .content,
    ).toBe("scripted");
    await control("enqueue", [{ type: "error", status: 500 }]);
    expect((await chat({})).status).toBe(500);
    const stats = await (await fetch(`${stub.url.replace(/\/v1$/, "")}/__stub/stats`)).json();
    expect(stats).toMatchObject({ total: 2, inflight: 0 });
  });

  it("refuses to listen anywhere but loopback", async () => {
    await expect(startStubModelServer({ host: "0.0.0.0" })).rejects.toThrow(/loopback/);
  });

  it("has a CLI that prints its URL and stops on SIGTERM", async () => {
    const cli = fileURLToPath(new URL("./stub-model-cli.ts", import.meta.url));
    const child = spawn(process.execPath, [cli, "--delay-ms", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    const first = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout }).once("line", resolve);
    });
    const { url } = JSON.parse(first) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect((await fetch(`${url}/models`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
  });
});
