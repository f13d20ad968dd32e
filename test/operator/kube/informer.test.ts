import { describe, expect, it, vi } from "vitest";
import { Informer, type InformerEventType } from "../../../operator/kube/informer.ts";
import { KubeApi } from "../../../operator/kube/kube-api.ts";
import { KubeApiError } from "../../../operator/kube/kube-api-error.ts";
import type { KubeObject } from "../../../operator/kube/objects.ts";
import { sendJson, startStubApiServer } from "./stub-api-server.ts";

const object = (name: string, resourceVersion: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns", resourceVersion },
});

type WatchScript = (emit: (event: { type: string; object: unknown }) => void) => Promise<void>;

/** A stand-in for the API server: lists come from `lists`, each watch runs the next script. */
function fakeApi(lists: KubeObject[][], watches: WatchScript[]) {
  const calls = {
    list: 0,
    watch: 0,
    watchResourceVersions: [] as unknown[],
    listQueries: [] as unknown[],
    watchQueries: [] as unknown[],
  };
  const api = {
    list: async (_path: string, query: Record<string, unknown>) => {
      calls.listQueries.push(query);
      const items = lists[Math.min(calls.list, lists.length - 1)] ?? [];
      calls.list += 1;
      return { items, resourceVersion: `list-${calls.list}` };
    },
    watch: async (
      _path: string,
      query: Record<string, unknown>,
      onEvent: (event: { type: string; object: unknown }) => void,
      signal: AbortSignal,
      onOpen?: () => void,
    ) => {
      calls.watchResourceVersions.push(query.resourceVersion);
      calls.watchQueries.push(query);
      const script = watches[calls.watch];
      calls.watch += 1;
      if (script) return script(onEvent);
      onOpen?.();
      // No more scripts: an idle watch that ends when the informer stops.
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    },
  };
  return { api: api as unknown as KubeApi, calls };
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    onEvent: (type: InformerEventType, item: KubeObject) =>
      events.push(`${type} ${item.metadata.name}@${item.metadata.resourceVersion}`),
  };
}

const refused: WatchScript = async () => {
  throw new Error("connection refused");
};

/** Runs `test` on fake timers, so backoff waits pass without waiting. */
async function withFakeTimers(test: () => Promise<void>): Promise<void> {
  vi.useFakeTimers();
  try {
    await test();
  } finally {
    vi.useRealTimers();
  }
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

describe("Informer", () => {
  it("lists, then watches from the list's resourceVersion, dropping replays that change nothing", async () => {
    const { api, calls } = fakeApi(
      [[object("a", "1"), object("b", "2")]],
      [
        async (emit) => {
          emit({ type: "MODIFIED", object: object("a", "1") }); // a replay: same resourceVersion
          emit({ type: "MODIFIED", object: object("a", "3") });
          emit({ type: "DELETED", object: object("b", "4") });
          emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } });
        },
      ],
    );
    const { events, onEvent } = recorder();
    const informer = new Informer({ api, path: "/api/v1/configmaps", onEvent });
    await informer.start();
    await until(() => events.length === 4);
    expect(events).toEqual(["ADDED a@1", "ADDED b@2", "MODIFIED a@3", "DELETED b@4"]);
    expect(calls.watchResourceVersions.slice(0, 2)).toEqual(["list-1", "9"]);
    expect(informer.list().map((item) => item.metadata.name)).toEqual(["a"]);
    expect(
      informer.list("ns").map((item) => `${item.metadata.name}@${item.metadata.resourceVersion}`),
    ).toEqual(["a@3"]);
    expect(informer.list("other")).toEqual([]);
    await informer.stop();
  });

  it("keeps a secondary index current through adds, relabels, deletions and relists", async () => {
    const owned = (name: string, resourceVersion: string, owner: string | undefined): KubeObject => ({
      ...object(name, resourceVersion),
      metadata: { ...object(name, resourceVersion).metadata, ...(owner ? { labels: { owner } } : {}) },
    });
    const { api, calls } = fakeApi(
      [
        [owned("a", "1", "x"), owned("b", "2", "x"), owned("c", "3", undefined)],
        [owned("b", "8", "x"), owned("d", "9", "y")],
      ],
      [
        async (emit) => {
          emit({ type: "MODIFIED", object: owned("a", "4", "y") }); // relabelled: moves to y
          emit({ type: "MODIFIED", object: owned("c", "5", "x") }); // labelled: joins x
          emit({ type: "DELETED", object: owned("b", "6", "x") });
          emit({ type: "ERROR", object: { code: 410, reason: "Expired", message: "too old" } });
        },
      ],
    );
    const { events, onEvent } = recorder();
    const informer = new Informer({
      api,
      path: "/api/v1/configmaps",
      onEvent,
      indexBy: (item) => item.metadata.labels?.owner,
    });
    const names = (key: string) =>
      informer
        .listIndexed(key)
        .map((item) => item.metadata.name)
        .sort();
    await informer.start();
    expect([names("x"), names("y")]).toEqual([["a", "b"], []]);
    await until(() => calls.list === 2);
    await until(() => events.includes("ADDED d@9"));
    // After the relist: a and c are gone, b is back, d is new.
    expect([names("x"), names("y")]).toEqual([["b"], ["d"]]);
    expect(events.slice(3, 6)).toEqual(["MODIFIED a@4", "MODIFIED c@5", "DELETED b@6"]);
    await informer.stop();
  });

  it("keeps going after a failed watch, and reports the error", async () => {
    const { api, calls } = fakeApi(
      [[object("a", "1")]],
      [
        async () => {
          throw new Error("connection reset");
        },
        async (emit) => emit({ type: "ADDED", object: object("c", "5") }),
      ],
    );
    const errors: unknown[] = [];
    const { events, onEvent } = recorder();
    const informer = new Informer({
      api,
      path: "/api/v1/configmaps",
      onEvent,
      onError: (error) => errors.push(error),
    });
    await informer.start();
    await until(() => events.includes("ADDED c@5"));
    expect((errors[0] as Error).message).toBe("connection reset");
    expect(calls.watch).toBeGreaterThanOrEqual(2);
    await informer.stop();
  });

  it("relists on 410 Gone and reports objects deleted while it was not watching", async () => {
    const { api, calls } = fakeApi(
      [[object("a", "1"), object("b", "2")], [object("a", "7")]],
      [
        async (emit) =>
          emit({
            type: "ERROR",
            object: { code: 410, reason: "Expired", message: "too old resource version" },
          }),
      ],
    );
    const { events, onEvent } = recorder();
    const informer = new Informer({ api, path: "/api/v1/configmaps", onEvent });
    await informer.start();
    await until(() => calls.list === 2 && events.length === 4);
    expect(events).toEqual(["ADDED a@1", "ADDED b@2", "MODIFIED a@7", "DELETED b@2"]);
    await informer.stop();
  });

  it("treats a 410 thrown by the watch request like the event", async () => {
    const { api, calls } = fakeApi(
      [[object("a", "1")]],
      [
        async () => {
          throw new KubeApiError("watch", "/api/v1/configmaps", 410, "Gone", "expired");
        },
      ],
    );
    const informer = new Informer({ api, path: "/api/v1/configmaps", onEvent: () => {} });
    await informer.start();
    await until(() => calls.list === 2);
    await informer.stop();
  });

  it("reopens a silent watch at once from the last resourceVersion it saw, without relisting", async () => {
    const { api, calls } = fakeApi(
      [[object("a", "1")]],
      [
        async (emit) => {
          emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } });
          throw new KubeApiError("watch", "/api/v1/configmaps", 0, "Idle", "silent", {
            code: "KUBE_API_WATCH_IDLE",
          });
        },
      ],
    );
    const errors: unknown[] = [];
    const informer = new Informer({
      api,
      path: "/api/v1/configmaps",
      onEvent: () => {},
      onError: (error) => errors.push(error),
    });
    await informer.start();
    await until(() => calls.watch === 2);
    expect(calls.list).toBe(1);
    expect(calls.watchResourceVersions).toEqual(["list-1", "9"]);
    expect((errors[0] as KubeApiError).code).toBe("KUBE_API_WATCH_IDLE");
    expect(informer.healthy).toBe(true);
    await informer.stop();
  });

  it("reports itself unhealthy after 3 failed watches in a row, and healthy again once one works", () =>
    withFakeTimers(async () => {
      const { api, calls } = fakeApi(
        [[object("a", "1")]],
        [refused, refused, refused, async (emit) => emit({ type: "ADDED", object: object("b", "2") })],
      );
      const informer = new Informer({ api, path: "/api/v1/configmaps", onEvent: () => {} });
      expect(informer.healthy).toBe(false);
      await informer.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(informer.healthy).toBe(true);
      while (calls.watch < 3) await vi.advanceTimersByTimeAsync(100);
      expect(informer.healthy).toBe(false);
      while (calls.watch < 4) await vi.advanceTimersByTimeAsync(100);
      expect(informer.healthy).toBe(true);
      await informer.stop();
    }));

  it("lists and watches one object through a field selector, and says when its watch is open", async () => {
    const { api, calls } = fakeApi([[object("a", "1")]], []);
    let connects = 0;
    const informer = new Informer({
      api,
      path: "/api/v1/namespaces/ns/configmaps",
      fieldSelector: "metadata.name=a",
      labelSelector: "app=x",
      onEvent: () => {},
      onConnect: () => {
        connects += 1;
      },
    });
    await informer.start();
    await until(() => connects === 1);
    expect(calls.listQueries[0]).toMatchObject({ fieldSelector: "metadata.name=a", labelSelector: "app=x" });
    expect(calls.watchQueries[0]).toMatchObject({ fieldSelector: "metadata.name=a", labelSelector: "app=x" });
    await informer.stop();
  });

  it("ends each watch by the time the next relist is due, and relists then", async () => {
    // The watch ends as the server ends it at its timeout, here after 250 ms.
    const { api, calls } = fakeApi(
      [[object("a", "1")], [object("a", "2")]],
      [() => new Promise((resolve) => setTimeout(resolve, 250))],
    );
    const { events, onEvent } = recorder();
    const informer = new Informer({
      api,
      path: "/api/v1/configmaps",
      onEvent,
      relistMs: 200,
      watchTimeoutSeconds: 300,
    });
    await informer.start();
    await until(() => calls.list === 2);
    expect(calls.watchQueries[0]).toMatchObject({ timeoutSeconds: 1 });
    await until(() => events.includes("MODIFIED a@2"));
    await informer.stop();
  });

  it("retries no later than maxBackoffMs after failure upon failure", () =>
    withFakeTimers(async () => {
      const { api, calls } = fakeApi(
        [[object("a", "1")]],
        Array.from({ length: 12 }, () => refused),
      );
      const informer = new Informer({
        api,
        path: "/api/v1/configmaps",
        onEvent: () => {},
        maxBackoffMs: 1000,
      });
      await informer.start();
      await vi.advanceTimersByTimeAsync(0);
      // Without the cap the 8th retry alone waits 16-32 s.
      await vi.advanceTimersByTimeAsync(12 * 1000);
      expect(calls.watch).toBeGreaterThanOrEqual(12);
      await informer.stop();
    }));
});

describe("Informer over the API server's JSON", () => {
  it("caches a listed object as a watched one is, apiVersion and kind included", async () => {
    // What kube-apiserver sends: list items without apiVersion and kind, watch events with them.
    const deployment = (resourceVersion: string) => ({
      metadata: { name: "bot", namespace: "ns", resourceVersion },
      spec: { replicas: 2 },
    });
    const server = await startStubApiServer((request, response) => {
      if (!request.url.searchParams.get("watch")) {
        sendJson(response, 200, {
          apiVersion: "apps/v1",
          kind: "DeploymentList",
          metadata: { resourceVersion: "1" },
          items: [deployment("1")],
        });
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      const event = {
        type: "MODIFIED",
        object: { apiVersion: "apps/v1", kind: "Deployment", ...deployment("2") },
      };
      response.write(`${JSON.stringify(event)}\n`);
    });
    const api = KubeApi.fromFile(server.kubeconfig());
    const cached: KubeObject[] = [];
    const informer = new Informer({
      api,
      path: "/apis/apps/v1/deployments",
      onEvent: (_type, item) => cached.push(structuredClone(item)),
    });
    try {
      await informer.start();
      await until(() => cached.length === 2);
      const [listed, watched] = cached;
      expect(listed).toEqual({ ...watched, metadata: { ...watched?.metadata, resourceVersion: "1" } });
      expect(listed).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
    } finally {
      await informer.stop();
      api.close();
      await server.close();
    }
  });
});
