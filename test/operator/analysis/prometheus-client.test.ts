import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPrometheusClient,
  type PrometheusTarget,
  type QueryResult,
  withPrometheusClient,
} from "../../../operator/analysis/prometheus-client.ts";
import { generatePki } from "../../support/cluster-pki.ts";
import { prometheusAvailable, startPrometheusServer } from "../../support/prometheus-server.ts";

type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: URLSearchParams };
type Answer = { status?: number; type?: string; body: string } | "hang";

/** A loopback HTTP server that records requests and answers from a queue. */
async function startAnsweringServer() {
  const seen: Seen[] = [];
  const answers: Answer[] = [];
  const server: Server = createServer(async (request, response) => {
    let text = "";
    for await (const chunk of request) text += chunk;
    seen.push({
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      body: new URLSearchParams(text),
    });
    const answer = answers.shift() ?? { body: "{}" };
    if (answer === "hang") return;
    response
      .writeHead(answer.status ?? 200, { "content-type": answer.type ?? "application/json" })
      .end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (...next: Answer[]) => answers.push(...next),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const json = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) });
const vector = (...values: string[]) =>
  json({
    status: "success",
    data: {
      resultType: "vector",
      result: values.map((value, index) => ({
        metric: { __name__: "m", i: String(index) },
        value: [1, value],
      })),
    },
  });

describe("createPrometheusClient against a scripted server", () => {
  let server: Awaited<ReturnType<typeof startAnsweringServer>>;
  beforeAll(async () => {
    server = await startAnsweringServer();
  });
  afterAll(() => server.close());

  const ask = async (target: Partial<PrometheusTarget> = {}, timeoutMs = 2000): Promise<QueryResult> =>
    withPrometheusClient(
      { address: server.url, ...target },
      (query) => query("sum(up)", new Date("2026-12-01T10:00:00.250Z")),
      { timeoutMs },
    );

  it("POSTs the query as a form to the API under the address's path, with the bearer token", async () => {
    server.answer(vector("0.25"));
    expect(await ask({ address: `${server.url}/prometheus/`, bearerToken: "t0ken" })).toEqual({
      kind: "value",
      value: 0.25,
    });
    const request = server.seen.at(-1);
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/prometheus/api/v1/query");
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.headers.authorization).toBe("Bearer t0ken");
    expect(Object.fromEntries(request?.body ?? [])).toEqual({
      query: "sum(up)",
      time: "1796119200.250",
      timeout: "2s",
    });

    server.answer(vector("1"));
    await ask();
    expect(server.seen.at(-1)?.headers.authorization).toBeUndefined();

    server.answer(vector("1"));
    await ask({ address: `${server.url.replace("http://", "http://reader:p%40ss@")}/thanos?dedup=false` });
    const withCredentials = server.seen.at(-1);
    expect(withCredentials?.url).toBe("/thanos/api/v1/query");
    expect(withCredentials?.headers.authorization).toBe(
      `Basic ${Buffer.from("reader:p@ss").toString("base64")}`,
    );
    expect(withCredentials?.body.get("dedup")).toBe("false");
    expect(withCredentials?.body.get("query")).toBe("sum(up)");
  });

  it("reads scalars, infinities, NaN and empty vectors", async () => {
    server.answer(
      json({ status: "success", data: { resultType: "scalar", result: [1, "-3.5"] } }),
      vector("+Inf"),
      vector("-Inf"),
      vector("NaN"),
      vector(),
    );
    expect(await ask()).toEqual({ kind: "value", value: -3.5 });
    expect(await ask()).toEqual({ kind: "value", value: Number.POSITIVE_INFINITY });
    expect(await ask()).toEqual({ kind: "value", value: Number.NEGATIVE_INFINITY });
    expect(await ask()).toEqual({ kind: "noData" });
    expect(await ask()).toEqual({ kind: "noData" });
  });

  it("refuses answers that are not one number", async () => {
    server.answer(
      vector("1", "2", "3", "4"),
      json({ status: "success", data: { resultType: "string", result: [1, "x"] } }),
    );
    expect(await ask()).toEqual({
      kind: "error",
      message:
        'the query returned 4 series (m{i="0"}, m{i="1"}, m{i="2"}, ...); it must return one number, e.g. aggregate with sum(...)',
    });
    expect(await ask()).toEqual({
      kind: "error",
      message:
        "the query returned a string; it must return one number (an instant vector of one series or a scalar)",
    });
  });

  it("names the address without its credentials", async () => {
    server.answer({ status: 500, type: "text/plain", body: "oops" });
    const answer = await ask({ address: server.url.replace("http://", "http://reader:secret@") });
    expect(answer).toEqual({
      kind: "error",
      message: `Prometheus at ${server.url} answered 500, with a body that is not JSON (text/plain): oops`,
    });
  });

  it("says what went wrong, without the token", async () => {
    const where = `Prometheus at ${server.url}`;
    server.answer(
      json({ status: "error", errorType: "timeout", error: "query timed out in expression evaluation" }, 503),
      { status: 401, type: "text/plain", body: "Unauthorized\n" },
      { status: 502, type: "text/html", body: "<html><body>Bad   Gateway</body></html>" },
      json({ hello: "world" }),
      json({ status: "nope" }, 403),
      "hang",
    );
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask({ bearerToken: "t0ken-never-shown" }, 500));
    expect(answers).toEqual([
      {
        kind: "error",
        message: `${where} refused the query (503 timeout): query timed out in expression evaluation`,
      },
      {
        kind: "error",
        message: `${where} answered 401 Unauthorized: check the bearer token, with a body that is not JSON (text/plain): Unauthorized`,
      },
      {
        kind: "error",
        message: `${where} answered 502, with a body that is not JSON (text/html): <html><body>Bad Gateway</body></html>`,
      },
      { kind: "error", message: `${where} answered 200 with JSON that is not a query result` },
      { kind: "error", message: `${where} answered 403 Forbidden: the bearer token may not query` },
      { kind: "error", message: `${where}: no answer within 0.5 s` },
    ]);
    expect(JSON.stringify(answers)).not.toContain("t0ken-never-shown");
  });
});

describe.skipIf(!prometheusAvailable("Prometheus client over TLS"))("createPrometheusClient over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "agentry-prometheus-tls-"));
  let address: string;
  let ca: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const pki = await generatePki(join(dir, "pki"));
    ca = await readFile(pki.ca.cert, "utf8");
    const prometheus = await startPrometheusServer({
      jobs: [],
      tls: { certFile: pki.apiserver.cert, keyFile: pki.apiserver.key },
    });
    address = prometheus.url;
    stop = prometheus.stop;
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = (target: Omit<PrometheusTarget, "address">) =>
    withPrometheusClient({ address, ...target }, (query) => query("vector(42)", new Date()));

  it("trusts the given CA, refuses an unknown certificate, or skips verification when told", async () => {
    expect(address).toMatch(/^https:/);
    expect(await ask({ ca })).toEqual({ kind: "value", value: 42 });
    const unknown = await ask({});
    expect(unknown.kind).toBe("error");
    expect(unknown.kind === "error" && unknown.message).toMatch(
      /unreachable: .*(certificate|UNABLE_TO_VERIFY|SELF_SIGNED)/i,
    );
    expect(await ask({ insecureSkipVerify: true })).toEqual({ kind: "value", value: 42 });
  });
});

describe("createPrometheusClient", () => {
  it("refuses an address that is not a URL when created", () => {
    expect(() => createPrometheusClient({ address: "prometheus:9090/x y" })).toThrow();
  });
});
