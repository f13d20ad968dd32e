import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwtVerifier } from "../../../agent-runtime/auth/jwt-verifier.ts";
import { RuntimeError } from "../../../agent-runtime/errors.ts";

const SECRET = "0123456789abcdef0123456789abcdef-secret";
const claims = { issuer: "https://idp.test", audience: "agentry", rolesClaim: "roles", subjectClaim: "sub" };

let jwksServer: Server;
let jwksUrl: string;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let publicPem: string;

const now = () => Math.floor(Date.now() / 1000);

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

async function hs256(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
}

async function rs256(payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(privateKey);
}

const valid = (): JWTPayload => ({
  sub: "alice",
  iss: "https://idp.test",
  aud: "agentry",
  exp: now() + 300,
  roles: ["chat"],
});

async function errorOf(promise: Promise<unknown>): Promise<RuntimeError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(RuntimeError);
  return thrown as RuntimeError;
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwksServer = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => {
  jwksServer.closeAllConnections();
  jwksServer.close();
});

describe("JWT with an HS256 secret", () => {
  const verify = createJwtVerifier({ ...claims, secret: SECRET, jwksUrl: undefined });

  it("accepts a valid token and reads subject and roles", async () => {
    expect(await verify(await hs256(valid()))).toEqual({ id: "sub-alice", roles: ["chat"] });
  });

  it.each([
    ["expired", { exp: now() - 60 }, "token expired"],
    ["not yet valid", { nbf: now() + 600 }, "claim check failed: nbf"],
    ["wrong audience", { aud: "someone-else" }, "claim check failed: aud"],
    ["wrong issuer", { iss: "https://evil.test" }, "claim check failed: iss"],
    ["without exp", { exp: undefined }, "claim check failed: exp"],
  ])("rejects a token that is %s", async (_name, override, message) => {
    const error = await errorOf(verify(await hs256({ ...valid(), ...override })));
    expect(error.code).toBe("UNAUTHENTICATED");
    expect(error.message).toBe(message);
  });

  it("rejects a token signed with another secret", async () => {
    const error = await errorOf(verify(await hs256(valid(), "another-secret-another-secret-xx")));
    expect(error.code).toBe("UNAUTHENTICATED");
  });

  it("rejects alg: none", async () => {
    const unsigned = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(valid())}.`;
    expect((await errorOf(verify(unsigned))).code).toBe("UNAUTHENTICATED");
  });

  it("rejects an RS256 token when it holds a symmetric secret", async () => {
    expect((await errorOf(verify(await rs256(valid())))).code).toBe("UNAUTHENTICATED");
  });
});

describe("JWT with a JWKS URL", () => {
  it("accepts a token signed by a key in the set", async () => {
    const verify = createJwtVerifier({ ...claims, secret: undefined, jwksUrl });
    expect(await verify(await rs256(valid()))).toEqual({ id: "sub-alice", roles: ["chat"] });
  });

  it("rejects algorithm confusion: HS256 'signed' with the public key as the HMAC secret", async () => {
    const verify = createJwtVerifier({ ...claims, secret: undefined, jwksUrl });
    const forged = await new SignJWT(valid())
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .sign(new TextEncoder().encode(publicPem));
    expect((await errorOf(verify(forged))).code).toBe("UNAUTHENTICATED");
  });

  it("rejects alg: none", async () => {
    const verify = createJwtVerifier({ ...claims, secret: undefined, jwksUrl });
    const unsigned = `${base64url({ alg: "none", kid: "k1" })}.${base64url(valid())}.`;
    expect((await errorOf(verify(unsigned))).code).toBe("UNAUTHENTICATED");
  });

  it("answers 503, not 401, when the key server is unreachable", async () => {
    const verify = createJwtVerifier({
      ...claims,
      secret: undefined,
      jwksUrl: "http://127.0.0.1:1/jwks.json",
    });
    const error = await errorOf(verify(await rs256(valid())));
    expect(error.code).toBe("AUTH_UNAVAILABLE");
    expect(error.status).toBe(503);
  });
});
