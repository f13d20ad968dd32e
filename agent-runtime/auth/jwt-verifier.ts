/**
 * JWT check with `jose`. The accepted algorithms are fixed by the key type we hold: HS256 for a
 * shared secret, asymmetric algorithms only for a JWKS. That closes algorithm confusion (an HS256
 * token "signed" with a public key) and `alg: none` (jose never accepts unsecured tokens).
 */
import { errors, type JWTPayload, jwtVerify } from "jose";
import { RuntimeError } from "../errors.ts";
import { createJwksKeySource, type JwksKeySourceOptions, JwksUnavailableError } from "./jwks-key-source.ts";
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
  /** The claim naming the caller; tokens without it are refused (they would all be one caller). */
  subjectClaim: string;
  jwks?: JwksKeySourceOptions;
};

export function createJwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<Principal> {
  const verifyWith = (payloadCheck: (token: string) => Promise<JWTPayload>) => async (token: string) => {
    let payload: JWTPayload;
    try {
      payload = await payloadCheck(token);
    } catch (error) {
      throw toAuthError(error);
    }
    const subject = payload[options.subjectClaim];
    if (typeof subject !== "string" || subject === "") {
      throw new RuntimeError("TOKEN_SUBJECT_MISSING", `the token has no "${options.subjectClaim}" claim`);
    }
    return { id: `sub-${subject}`, roles: rolesFromClaims(payload, options.rolesClaim) };
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
  const jwks = createJwksKeySource(new URL(options.jwksUrl), options.jwks);
  return verifyWith(
    async (token) =>
      (await jwtVerify(token, jwks, { ...claims, algorithms: [...ASYMMETRIC_ALGORITHMS] })).payload,
  );
}

function toAuthError(error: unknown): RuntimeError {
  // The key server being down, or serving nothing usable, is our outage, not the caller's bad token.
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  ) {
    const retryAfterMs = error instanceof JwksUnavailableError ? error.retryAfterMs : 5000;
    return new RuntimeError("AUTH_UNAVAILABLE", "the token signing keys could not be fetched", {
      cause: error,
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
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
