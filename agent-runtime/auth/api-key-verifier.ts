/**
 * API-key check. Keys are compared as SHA-256 digests with `timingSafeEqual`, against every
 * configured key without stopping at a match, so timing reveals neither a key's bytes nor which
 * key matched. The principal id is a digest prefix: stable per key, useless to an attacker.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal } from "./principal.ts";

const sha256 = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function createApiKeyVerifier(keys: readonly string[]): (presented: string) => Principal | undefined {
  const digests = keys.map(sha256);
  return (presented) => {
    const candidate = sha256(presented);
    let matched: Buffer | undefined;
    for (const digest of digests) {
      if (timingSafeEqual(digest, candidate)) matched = digest;
    }
    return matched ? { id: `key-${matched.subarray(0, 6).toString("hex")}`, roles: [] } : undefined;
  };
}
