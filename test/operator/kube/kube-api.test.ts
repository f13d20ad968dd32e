import { writeFileSync } from "node:fs";
import type http from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KubeApi, type KubeApiOptions } from "../../../operator/kube/kube-api.ts";
import { KubeApiError } from "../../../operator/kube/kube-api-error.ts";
import { type StubApiServer, type StubRequest, sendJson, startStubApiServer } from "./stub-api-server.ts";

let server: StubApiServer | undefined;
let api: KubeApi | undefined;

afterEach(async () => {
  api?.close();
  await server?.close();
  server = undefined;
  api = undefined;
});

async function stub(
  handler: (request: StubRequest, response: http.ServerResponse, index: number) => void,
  options: KubeApiOptions = {},
  kubeconfig: Parameters<StubApiServer["kubeconfig"]>[0] = {},
) {
  server = await startStubApiServer(handler);
  api = KubeApi.fromFile(server.kubeconfig(kubeconfig), options);
  return { server, api };
}

const status = (code: number, reason: string) => ({ kind: "Status", code, reason, message: reason });
const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as KubeApiError;
  }
  throw new Error("expected a rejection");
};

describe("KubeApi requests", () => {
  it("gives up on a request the server never answers, with KUBE_API_TIMEOUT, and turns unreachable", async () => {
    const { api } = await stub(() => {}, { requestTimeoutMs: 150, unreachableAfterFailures: 2 });
    const first = await rejection(api.get("/api/v1/namespaces/a"));
    expect(first).toBeInstanceOf(KubeApiError);
    expect(first.code).toBe("KUBE_API_TIMEOUT");
    expect(api.reachable).toBe(true);
    await rejection(api.get("/api/v1/namespaces/a"));
    expect(api.reachable).toBe(false);
  });

  it("a per-call timeout overrides the default", async () => {
    const { api } = await stub(() => {}, { requestTimeoutMs: 60_000 });
    const error = await rejection(api.get("/api/v1/namespaces/a", { timeoutMs: 100 }));
    expect(error.code).toBe("KUBE_API_TIMEOUT");
  });

  it("an answer, even a 404, makes the client reachable again", async () => {
    const { api } = await stub(
      (_request, response, index) => {
        if (index >= 2) sendJson(response, 404, status(404, "NotFound"));
      },
      { requestTimeoutMs: 100, unreachableAfterFailures: 2 },
    );
    await rejection(api.get("/api/v1/namespaces/a"));
    await rejection(api.get("/api/v1/namespaces/a"));
    expect(api.reachable).toBe(false);
    expect(await api.get("/api/v1/namespaces/a")).toBeUndefined();
    expect(api.reachable).toBe(true);
  });

  it("retries a 429 after the server's Retry-After", async () => {
    const { api, server } = await stub((_request, response, index) => {
      if (index === 0) sendJson(response, 429, status(429, "TooManyRequests"), { "retry-after": "1" });
      else sendJson(response, 200, { metadata: { name: "a" } });
    });
    expect(await api.get("/api/v1/namespaces/a")).toEqual({ metadata: { name: "a" } });
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("retries a 5xx only when it carries Retry-After, and a bounded number of times", async () => {
    const { api, server } = await stub(
      (request, response) => {
        if (request.url.pathname.endsWith("/busy"))
          sendJson(response, 503, status(503, "ServiceUnavailable"), { "retry-after": "0" });
        else sendJson(response, 500, status(500, "InternalError"));
      },
      { maxAttempts: 3 },
    );
    const busy = await rejection(api.create("/api/v1/namespaces/busy", {}, "agentry"));
    expect(busy.status).toBe(503);
    expect(server.requests).toHaveLength(3);
    const broken = await rejection(api.get("/api/v1/namespaces/broken"));
    expect(broken.status).toBe(500);
    expect(server.requests).toHaveLength(4);
  });

  it("sends requests under the server URL's path", async () => {
    const { api, server } = await stub(
      (_request, response) => sendJson(response, 200, { ok: true }),
      {},
      { basePath: "/k8s/clusters/c-1/" },
    );
    await api.get("/api/v1/namespaces/a");
    expect(server.requests[0]?.url.pathname).toBe("/k8s/clusters/c-1/api/v1/namespaces/a");
  });

  it("authenticates as the kubeconfig says: basic auth, impersonation", async () => {
    const { api, server } = await stub(
      (_request, response) => sendJson(response, 200, {}),
      {},
      { user: { username: "alice", password: "s3cret", as: "bob" } },
    );
    await api.get("/api/v1/namespaces/a");
    const headers = server.requests[0]?.headers ?? {};
    expect(headers.authorization).toBe(`Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
    expect(headers["impersonate-user"]).toBe("bob");
  });

  it("sends nothing when the credentials cannot be had, and says so with KUBE_API_CREDENTIALS", async () => {
    const failing = "process.stderr.write('session expired: run my-login'); process.exit(1)";
    const { api, server } = await stub(
      (_request, response) => sendJson(response, 200, {}),
      {},
      {
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: process.execPath,
            args: ["-e", failing],
            interactiveMode: "Never",
          },
        },
      },
    );
    const error = await rejection(api.get("/api/v1/namespaces/a"));
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.code).toBe("KUBE_API_CREDENTIALS");
    expect(error.message).toMatch(
      /^get \/api\/v1\/namespaces\/a: NoCredentials: no credentials: .*session expired/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("reads a rotated tokenFile on the next request", async () => {
    server = await startStubApiServer((_request, response) => sendJson(response, 200, {}));
    const probe = server.kubeconfig();
    const tokenFile = path.join(path.dirname(probe), "token");
    writeFileSync(tokenFile, "token-a\n");
    api = KubeApi.fromFile(server.kubeconfig({ user: { tokenFile: "token" } }));
    await api.get("/api/v1/namespaces/a");
    writeFileSync(tokenFile, "token-b-longer\n");
    await api.get("/api/v1/namespaces/a");
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer token-a",
      "Bearer token-b-longer",
    ]);
  });
});

describe("KubeApi lists", () => {
  it("pages through a collection with limit and continue", async () => {
    const { api, server } = await stub(
      (request, response) => {
        const next = request.url.searchParams.get("continue");
        const page = next ? Number(next) : 0;
        sendJson(response, 200, {
          items: [{ name: `item-${page * 2}` }, { name: `item-${page * 2 + 1}` }],
          metadata: { resourceVersion: "42", ...(page < 2 ? { continue: String(page + 1) } : {}) },
        });
      },
      { pageSize: 2 },
    );
    const { items, resourceVersion } = await api.list<{ name: string }>("/api/v1/configmaps", {
      labelSelector: "a=b",
    });
    expect(items.map((item) => item.name)).toEqual([
      "item-0",
      "item-1",
      "item-2",
      "item-3",
      "item-4",
      "item-5",
    ]);
    expect(resourceVersion).toBe("42");
    expect(server.requests.map((request) => request.url.search)).toEqual([
      "?labelSelector=a%3Db&limit=2",
      "?labelSelector=a%3Db&limit=2&continue=1",
      "?labelSelector=a%3Db&limit=2&continue=2",
    ]);
  });

  it("restarts the list when its continue token expired (410)", async () => {
    const { api, server } = await stub(
      (request, response, index) => {
        const next = request.url.searchParams.get("continue");
        if (next && index === 1) return sendJson(response, 410, status(410, "Expired"));
        sendJson(response, 200, {
          items: [{ name: next ? "second" : "first" }],
          metadata: { resourceVersion: String(index), ...(next ? {} : { continue: "token" }) },
        });
      },
      { pageSize: 1 },
    );
    const { items, resourceVersion } = await api.list<{ name: string }>("/api/v1/configmaps");
    expect(items.map((item) => item.name)).toEqual(["first", "second"]);
    expect(resourceVersion).toBe("3");
    expect(server.requests).toHaveLength(4);
  });
});

describe("KubeApi watches", () => {
  it("closes a watch that sends nothing for the idle timeout, with KUBE_API_WATCH_IDLE", async () => {
    const { api, server } = await stub(
      (_request, response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.write(
          `${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } })}\n`,
        );
      },
      { watchIdleTimeoutMs: 200 },
    );
    const events: string[] = [];
    const error = await rejection(
      api.watch(
        "/api/v1/configmaps",
        { timeoutSeconds: 300 },
        (event) => events.push(event.type),
        new AbortController().signal,
      ),
    );
    expect(error.code).toBe("KUBE_API_WATCH_IDLE");
    expect(events).toEqual(["BOOKMARK"]);
    expect(server.requests[0]?.url.searchParams.get("timeoutSeconds")).toBe("300");
    expect(server.requests[0]?.url.searchParams.get("watch")).toBe("true");
  });

  it("keeps serving requests while more watches are open than the request pool has sockets", async () => {
    const { api } = await stub(
      (request, response) => {
        if (request.url.searchParams.get("watch")) {
          response.writeHead(200, { "content-type": "application/json" });
          response.write("\n");
          return;
        }
        sendJson(response, 200, { metadata: { name: "a" } });
      },
      { requestConnections: 2, requestTimeoutMs: 2000 },
    );
    const stop = new AbortController();
    const watches = Array.from({ length: 8 }, (_, i) =>
      api.watch(`/api/v1/namespaces/ns-${i}/configmaps`, {}, () => {}, stop.signal),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answers = await Promise.all(Array.from({ length: 6 }, () => api.get("/api/v1/namespaces/a")));
    expect(answers).toEqual(Array(6).fill({ metadata: { name: "a" } }));
    stop.abort();
    await Promise.all(watches);
  });
});
