/**
 * Authentication abuse against the real runtime process: guessing keys, a JWKS that fails, tokens
 * that name no caller.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { waitUntil } from "../test-runtime.ts";
import { type LoopbackServer, listenOnLoopback, postJson, useRuntimeProcesses } from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (auth)");

const chat = (runtime: RuntimeProcess, authorization: string, from?: string) =>
  postJson(`${runtime.url}/v1/chat`, { message: "hello" }, { authorization }, { from });

describe.skipIf(!available)("authentication at the runtime process", { timeout: 15_000 }, () => {
  const processes = useRuntimeProcesses();

  describe("failed authentication", () => {
    const KEY = "valid-key-0123456789abcdef";
    let runtime: RuntimeProcess;

    beforeAll(async () => {
      runtime = await processes.start({
        AGENTRY_AUTH_MODE: "apiKey",
        AGENTRY_API_KEYS: KEY,
        AGENTRY_AUTH_FAILURES_PER_MINUTE: "6",
        AGENTRY_AUTH_FAILURE_BURST: "3",
      });
    });

    it("answers 429 with Retry-After to a source that keeps sending bad keys, and only to that source", async () => {
      // Loopback is all of 127.0.0.0/8: 127.0.0.2 is another client address for the runtime.
      const guesser = "127.0.0.2";
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await chat(runtime, `Bearer guess-${attempt}-0123456789`, guesser);
        expect(answer.status).toBe(401);
      }
      const limited = await chat(runtime, "Bearer guess-3-0123456789", guesser);
      expect(limited.status).toBe(429);
      expect(limited.json().error?.code).toBe("RATE_LIMITED");
      // Six failures a minute: the next one is allowed in about ten seconds.
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(10);
      // The blocked source is not even checked, so a guessed right key does not get through.
      expect((await chat(runtime, `Bearer ${KEY}`, guesser)).status).toBe(429);
      // Another address is unaffected.
      expect((await chat(runtime, `Bearer ${KEY}`)).status).toBe(200);
      expect(processes.stub.requests).toHaveLength(1);
    });
  });

  describe("a JWKS that fails", () => {
    type JwksState = "ok" | "500" | "garbage" | "empty";
    type Fixture = { state: JwksState; hits: number; server: LoopbackServer; runtime: RuntimeProcess };
    const failures = ["500", "garbage", "empty"] as const;
    const fixtures = new Map<JwksState, Fixture>();
    let signingKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

    beforeAll(async () => {
      const pair = await generateKeyPair("ES256", { extractable: true });
      signingKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
      // One JWKS server and one runtime per failure, each failing from the start.
      await Promise.all(
        failures.map(async (failure) => {
          const fixture = { state: failure as JwksState, hits: 0 } as Fixture;
          fixture.server = await listenOnLoopback((_req, res) => {
            fixture.hits++;
            if (fixture.state === "500") {
              res.writeHead(500, { "content-type": "text/plain" });
              return res.end("identity provider exploded");
            }
            res.setHeader("content-type", "application/json");
            if (fixture.state === "garbage") return res.end("<html>maintenance</html>");
            res.end(JSON.stringify({ keys: fixture.state === "empty" ? [] : [jwk] }));
          });
          fixture.runtime = await processes.start({
            AGENTRY_AUTH_MODE: "jwt",
            AGENTRY_JWT_JWKS_URL: `${fixture.server.url}/.well-known/jwks.json`,
            // Forged tokens below are refused with 401; keep them from tripping the failure limit.
            AGENTRY_AUTH_FAILURES_PER_MINUTE: "0",
          });
          fixtures.set(failure, fixture);
        }),
      );
    });
    afterAll(() => Promise.all([...fixtures.values()].map((fixture) => fixture.server.close())));

    const token = (kid: string) =>
      new SignJWT({ sub: "alice" })
        .setProtectedHeader({ alg: "ES256", kid })
        .setExpirationTime("5m")
        .sign(signingKey);

    // Each failure has its own JWKS and runtime: they wait out the retry pause side by side.
    it.concurrent.for(failures)(
      "answers 503 AUTH_UNAVAILABLE with Retry-After while the JWKS answers %s, fetches it once, and recovers promptly",
      async (failure, { expect }) => {
        const fixture = fixtures.get(failure) as Fixture;
        const valid = `Bearer ${await token("k1")}`;
        for (let attempt = 0; attempt < 5; attempt++) {
          const answer = await chat(fixture.runtime, valid);
          expect(answer.status).toBe(503);
          expect(answer.json().error?.code).toBe("AUTH_UNAVAILABLE");
          expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        }
        // Forged tokens with made-up key ids do not make the runtime fetch the JWKS again.
        for (let attempt = 0; attempt < 5; attempt++) {
          expect((await chat(fixture.runtime, `Bearer ${await token(`forged-${attempt}`)}`)).status).toBe(
            503,
          );
        }
        expect(fixture.hits).toBe(1);

        fixture.state = "ok";
        const healed = Date.now();
        await waitUntil(async () => (await chat(fixture.runtime, valid)).status === 200, 6000);
        // Within the runtime's 2 s pause after a failed fetch, plus polling.
        expect(Date.now() - healed).toBeLessThan(4000);

        // With keys cached, unknown key ids refetch at most once per cooldown, not per token.
        const before = fixture.hits;
        for (let attempt = 0; attempt < 5; attempt++) {
          const forged = await chat(fixture.runtime, `Bearer ${await token(`forged-again-${attempt}`)}`);
          expect(forged.status).toBe(401);
        }
        expect(fixture.hits - before).toBeLessThanOrEqual(1);
      },
    );
  });

  describe("JWTs without a subject", () => {
    const SECRET = "a-shared-secret-of-at-least-32-bytes!";
    let runtime: RuntimeProcess;

    beforeAll(async () => {
      runtime = await processes.start({ AGENTRY_AUTH_MODE: "jwt", AGENTRY_JWT_SECRET: SECRET });
    });

    const signed = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(SECRET));

    it("refuses a validly signed token without the subject claim, before calling the model", async () => {
      const anonymous = await chat(runtime, `Bearer ${await signed({ roles: ["chat"] })}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.json().error?.code).toBe("TOKEN_SUBJECT_MISSING");
      const emptySubject = await chat(runtime, `Bearer ${await signed({ sub: "" })}`);
      expect(emptySubject.status).toBe(401);
      expect(processes.stub.requests).toHaveLength(0);
      expect((await chat(runtime, `Bearer ${await signed({ sub: "alice" })}`)).status).toBe(200);
    });
  });
});
