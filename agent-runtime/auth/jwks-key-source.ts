/**
 * The JWKS as jose's remote key set, with what it lacks for an outage: a fetch that fails (error
 * status, garbage, no keys) is remembered, and for `retryMs` nothing is fetched again, so forged
 * tokens cannot make the runtime hammer the identity provider. An unusable answer is never cached
 * (jose would otherwise keep an empty set and refuse valid tokens for its cooldown), so the first
 * fetch after the retry delay picks up a recovered JWKS.
 */
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";

/** The JWKS could not be used; `retryAfterMs` is how long until it is fetched again. */
export class JwksUnavailableError extends Error {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JwksUnavailableError";
    this.retryAfterMs = retryAfterMs;
  }
}

export type JwksKeySourceOptions = {
  timeoutMs?: number;
  /** How long a fetched key set is used before it is fetched again. */
  cacheMaxAgeMs?: number;
  /** At most one refetch per this interval for tokens whose key id is unknown. */
  cooldownMs?: number;
  /** After a failed fetch, how long nothing is fetched. */
  retryMs?: number;
  now?: () => number;
};

function hasKeys(json: unknown): boolean {
  const keys = (json as { keys?: unknown } | null)?.keys;
  return Array.isArray(keys) && keys.length > 0;
}

export function createJwksKeySource(url: URL, options: JwksKeySourceOptions = {}): JWTVerifyGetKey {
  const retryMs = options.retryMs ?? 2000;
  const now = options.now ?? Date.now;
  let failedAt = Number.NEGATIVE_INFINITY;

  const fail = (message: string, cause?: unknown): never => {
    failedAt = now();
    throw new JwksUnavailableError(message, retryMs, { cause });
  };

  const guardedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const waitMs = failedAt + retryMs - now();
    if (waitMs > 0) throw new JwksUnavailableError("the JWKS failed recently; not fetched again yet", waitMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(input, init);
      text = await response.text();
    } catch (error) {
      return fail(`the JWKS could not be fetched: ${(error as Error).message}`, error);
    }
    if (response.status !== 200) return fail(`the JWKS answered HTTP ${response.status}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return fail("the JWKS answer is not JSON", error);
    }
    if (!hasKeys(json)) return fail("the JWKS holds no keys");
    return new Response(text, { status: 200, headers: response.headers });
  };

  return createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs ?? 3000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    [customFetch]: guardedFetch,
  });
}
