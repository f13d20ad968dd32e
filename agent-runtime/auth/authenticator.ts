/**
 * One entry point for every auth mode: reads the credential from the request headers, verifies
 * it and applies the route's role gate. Throws typed 401/403 errors.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { AuthConfig } from "../config/runtime-config.ts";
import { RuntimeError } from "../errors.ts";
import { createApiKeyVerifier } from "./api-key-verifier.ts";
import type { Principal } from "./principal.ts";
import { isRouteAllowed } from "./roles.ts";

export type Authenticator = (headers: IncomingHttpHeaders, route: string) => Promise<Principal | undefined>;

/** `Authorization: Bearer X`, or `x-api-key: X` for API keys. */
export function credentialFrom(headers: IncomingHttpHeaders, allowApiKeyHeader: boolean): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = headers["x-api-key"];
  return allowApiKeyHeader && typeof apiKey === "string" && apiKey.length > 0 ? apiKey : undefined;
}

const missing = () =>
  new RuntimeError("UNAUTHENTICATED", "missing credentials: send Authorization: Bearer <token>");

export function createAuthenticator(config: AuthConfig): Authenticator {
  switch (config.mode) {
    case "none":
      return async () => undefined;
    case "apiKey": {
      const verify = createApiKeyVerifier(config.keys);
      return async (headers) => {
        const credential = credentialFrom(headers, true);
        if (!credential) throw missing();
        const principal = verify(credential);
        if (!principal) throw new RuntimeError("UNAUTHENTICATED", "invalid API key");
        return principal;
      };
    }
    case "jwt": {
      // jose costs ~9 MB of resident memory: only agents that verify JWTs load it.
      const verifier = import("./jwt-verifier.ts").then(({ createJwtVerifier }) => createJwtVerifier(config));
      verifier.catch(() => {}); // reported to the first request instead of as an unhandled rejection
      return async (headers, route) => {
        const credential = credentialFrom(headers, false);
        if (!credential) throw missing();
        const principal = await (await verifier)(credential);
        if (!isRouteAllowed(config.routeRoles, route, principal.roles)) {
          throw new RuntimeError(
            "FORBIDDEN",
            `a role in [${config.routeRoles[route]?.join(", ")}] is required`,
          );
        }
        return principal;
      };
    }
  }
}
