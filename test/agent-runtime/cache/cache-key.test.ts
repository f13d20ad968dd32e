import { describe, expect, it } from "vitest";
import { cacheKeyOf, canonicalJson } from "../../../agent-runtime/cache/response-cache.ts";

describe("cache keys", () => {
  it("ignore key order and undefined fields", () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, z: null }] })).toBe(
      '{"a":[{"y":2,"z":null}],"b":1}',
    );
    expect(cacheKeyOf("p:", { a: 1, b: 2 })).toBe(cacheKeyOf("p:", { b: 2, a: 1 }));
  });

  it("differ when anything that shapes the answer differs", () => {
    expect(cacheKeyOf("p:", { message: "a" })).not.toBe(cacheKeyOf("p:", { message: "b" }));
    expect(cacheKeyOf("p:", { message: "a" })).not.toBe(cacheKeyOf("q:", { message: "a" }));
    expect(cacheKeyOf("p:", { message: "a" })).toMatch(/^p:cache:[0-9a-f]{64}$/);
  });
});
