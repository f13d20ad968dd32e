// Memory of a running operator after a full garbage collection, through V8's inspector: the
// operator runs with INSPECTOR_FLAG and nothing of its own code changes. Each reading opens a
// session, asks for a full GC (HeapProfiler.collectGarbage, all generations, as heap snapshots
// do), reads process.memoryUsage() and closes it; no domain is enabled, so the session keeps
// nothing (console messages, scripts) in between.

/** Loopback only, on a port the kernel picks; Node prints it on stderr. */
export const INSPECTOR_FLAG = "--inspect=127.0.0.1:0";

export interface MemoryReading {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

/** The WebSocket address Node printed ("Debugger listening on ws://..."), if it has. */
export function inspectorUrl(logs: readonly string[]): string | undefined {
  for (const line of logs) {
    const match = /Debugger listening on (ws:\/\/\S+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export async function memoryAfterFullGc(url: string, timeoutMs = 60_000): Promise<MemoryReading> {
  const socket = new WebSocket(url);
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter || message.id === undefined) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  socket.addEventListener("close", () => failAll(new Error("inspector session closed")));
  let nextId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const timer = setTimeout(() => {
    failAll(new Error(`no answer from the inspector in ${timeoutMs} ms`));
    socket.close();
  }, timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot open the inspector at ${url}`)), {
        once: true,
      });
    });
    await call("HeapProfiler.collectGarbage");
    const answer = (await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result: { value: string } };
    const usage = JSON.parse(answer.result.value) as NodeJS.MemoryUsage;
    const mb = (bytes: number) => bytes / 2 ** 20;
    return {
      rssMB: mb(usage.rss),
      heapUsedMB: mb(usage.heapUsed),
      heapTotalMB: mb(usage.heapTotal),
      externalMB: mb(usage.external),
    };
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}
