/**
 * JWT check with `jose`. The accepted algorithms are fixed by the key type we hold: HS256 for a
 * shared secret, asymmetric algorithms only for a JWKS. That closes algorithm confusion (an HS256
 * token "signed" with a public key) and `alg: none` (jose never accepts unsecured tokens).
 */
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { RuntimeError } from "../errors.ts";
import type { Principal } from "./principal.ts";
import { rolesFromClaims } from "./roles.ts";

export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

export type JwtVerifierOptions = {
  secret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  rolesClaim: string;
};

export function createJwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<Principal> {
  const verifyWith = (payloadCheck: (token: string) => Promise<JWTPayload>) => async (token: string) => {
    let payload: JWTPayload;
    try {
      payload = await payloadCheck(token);
    } catch (error) {
      throw toAuthError(error);
    }
    return { id: `sub-${payload.sub ?? "anonymous"}`, roles: rolesFromClaims(payload, options.rolesClaim) };
  };
  const claims = {
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ["exp"],
    clockTolerance: 5,
  };
  if (options.secret) {
    const key = new TextEncoder().encode(options.secret);
    return verifyWith(
      async (token) => (await jwtVerify(token, key, { ...claims, algorithms: ["HS256"] })).payload,
    );
  }
  if (!options.jwksUrl) throw new Error("jwt mode needs a secret or a JWKS URL");
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: 3000,
    cooldownDuration: 30_000,
  });
  return verifyWith(
    async (token) =>
      (await jwtVerify(token, jwks, { ...claims, algorithms: [...ASYMMETRIC_ALGORITHMS] })).payload,
  );
}

function toAuthError(error: unknown): RuntimeError {
  // The key server being down is our outage, not the caller's bad token.
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return new RuntimeError("AUTH_UNAVAILABLE", "the token signing keys could not be fetched", {
      cause: error,
      retryAfterSeconds: 5,
    });
  }
  const reason =
    error instanceof errors.JWTExpired
      ? "token expired"
      : error instanceof errors.JWTClaimValidationFailed
        ? `claim check failed: ${error.claim}`
        : "token is invalid";
  return new RuntimeError("UNAUTHENTICATED", reason, { cause: error });
}
