import { describe, expect, it } from "vitest";
import { WorkQueue } from "../../../operator/controller/work-queue.ts";

describe("WorkQueue", () => {
  it("queues a key once however often it is added", async () => {
    const queue = new WorkQueue();
    queue.add("a");
    queue.add("b");
    queue.add("a");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
  });

  it("never hands a key to two workers: an add during processing waits for done", async () => {
    const queue = new WorkQueue();
    queue.add("a");
    const first = await queue.get();
    queue.add("a");
    expect(queue.length).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => {
      second = key;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    queue.done(first as string);
    await Promise.resolve();
    expect(second).toBe("a");
  });

  it("reports how long the oldest key has been with its worker, also when nothing else waits", async () => {
    let now = 1000;
    const queue = new WorkQueue({}, () => now);
    expect(queue.longestProcessingMs()).toBe(0);
    queue.add("a");
    const a = await queue.get();
    now += 400;
    queue.add("b");
    const b = await queue.get();
    now += 100;
    expect(queue.length).toBe(0);
    expect(queue.longestProcessingMs()).toBe(500);
    queue.done(a as string);
    expect(queue.longestProcessingMs()).toBe(100);
    queue.done(b as string);
    expect(queue.longestProcessingMs()).toBe(0);
  });

  it("lets the event loop run between waiting keys, so a burst of quick reconciles starves no I/O", async () => {
    const queue = new WorkQueue();
    for (let index = 0; index < 1000; index++) queue.add(`agents/a${index}`);
    let processed = 0;
    let processedWhenIoRan: number | undefined;
    setImmediate(() => {
      processedWhenIoRan = processed;
    });
    // A worker whose reconciles are synchronous (nothing to write).
    for (
      let key = await queue.get();
      key !== undefined;
      key = queue.length > 0 ? await queue.get() : undefined
    ) {
      processed++;
      queue.done(key);
    }
    expect(processed).toBe(1000);
    expect(processedWhenIoRan).toBeLessThanOrEqual(1);
  });

  it("backs off a failing key exponentially from 5 ms and resets on forget", () => {
    const queue = new WorkQueue({ burst: 1000 });
    const delays = [1, 2, 3, 4].map(() => queue.addRateLimited("a"));
    expect(delays).toEqual([5, 10, 20, 40]);
    queue.forget("a");
    expect(queue.addRateLimited("a")).toBe(5);
    queue.shutDown();
  });

  it("caps the per-key backoff at 1000 s", () => {
    const queue = new WorkQueue({ burst: 1000 });
    let delay = 0;
    for (let failure = 0; failure < 40; failure++) delay = queue.addRateLimited("a");
    expect(delay).toBe(1_000_000);
    queue.shutDown();
  });

  it("limits retries overall with a token bucket of 10 per second after a burst of 100", () => {
    let now = 0;
    const queue = new WorkQueue({}, () => now);
    const delays = Array.from({ length: 102 }, (_, index) => queue.addRateLimited(`key-${index}`));
    expect(delays.slice(0, 100).every((delay) => delay === 5)).toBe(true);
    expect(delays[100]).toBe(100);
    expect(delays[101]).toBe(200);
    now = 10_000;
    expect(queue.addRateLimited("later")).toBe(5);
    queue.shutDown();
  });

  it("delivers delayed keys and keeps the earliest pending delay", async () => {
    const queue = new WorkQueue();
    queue.addAfter("a", 30);
    queue.addAfter("a", 10_000);
    const started = Date.now();
    expect(await queue.get()).toBe("a");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("releases waiting workers on shutdown", async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
  });
});
