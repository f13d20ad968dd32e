// A loopback OpenID Connect issuer, enough of one for the API server's JWT authenticator and for a
// kubeconfig's `oidc` auth provider: discovery, the JWKS, and a token endpoint that answers the
// refresh_token grant with a new ID token. Tokens are signed with `jose` (RS256); the HTTPS
// certificate comes from a CA of its own, so clients must be given that CA to talk to it.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export interface OidcIssuer {
  /** The issuer URL (`iss` of its tokens), https://127.0.0.1:PORT. */
  readonly url: string;
  /** PEM of the CA that signed the issuer's serving certificate. */
  readonly caPem: string;
  readonly caFile: string;
  /** Every token endpoint request, in arrival order. */
  readonly tokenRequests: TokenRequest[];
  /**
   * An ID token for `subject`, for the first client unless `clientId` names another;
   * `expiresInSeconds` may be negative (already expired).
   */
  idToken(subject: string, options?: IdTokenOptions): Promise<string>;
  /** A refresh token the token endpoint exchanges, for that client, for ID tokens of `subject`. */
  refreshToken(subject: string, clientId?: string): string;
  close(): Promise<void>;
}

export interface TokenRequest {
  grantType: string;
  refreshToken: string | undefined;
  clientId: string | undefined;
  /** From HTTP Basic auth or the `client_secret` form field. */
  clientSecret: string | undefined;
  /** What the endpoint answered. */
  status: number;
}

export interface IdTokenOptions {
  clientId?: string;
  expiresInSeconds?: number;
  signedBy?: "issuer" | "stranger";
}

export interface OidcIssuerOptions {
  /** PEM files of the serving certificate (its SANs must include IP:127.0.0.1) and its CA. */
  tls: { cert: string; key: string; ca: string };
  /**
   * The clients the token endpoint serves (each its tokens' `aud`), with the secret a confidential
   * client must present, or undefined for a public client.
   */
  clients: Record<string, string | undefined>;
  /** Lifetime of the ID tokens the token endpoint issues. */
  refreshedTokenSeconds?: number;
}

const KEY_ID = "issuer-key-1";
const ALG = "RS256";

export async function startOidcIssuer(options: OidcIssuerOptions): Promise<OidcIssuer> {
  const signing = await generateKeyPair(ALG);
  // Another key under the same key id: a token it signs names a key the issuer publishes, and
  // only the signature check can tell.
  const stranger = await generateKeyPair(ALG);
  const jwks = { keys: [{ ...(await exportJWK(signing.publicKey)), kid: KEY_ID, alg: ALG, use: "sig" }] };
  const refreshTokens = new Map<string, { subject: string; clientId: string }>();
  const [firstClient = ""] = Object.keys(options.clients);
  const tokenRequests: TokenRequest[] = [];
  let url = "";

  const idToken: OidcIssuer["idToken"] = (subject, tokenOptions = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const key = tokenOptions.signedBy === "stranger" ? stranger.privateKey : signing.privateKey;
    return new SignJWT({})
      .setProtectedHeader({ alg: ALG, kid: KEY_ID, typ: "JWT" })
      .setIssuer(url)
      .setSubject(subject)
      .setAudience(tokenOptions.clientId ?? firstClient)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + (tokenOptions.expiresInSeconds ?? 600))
      .sign(key);
  };

  const token = async (body: URLSearchParams, authorization: string | undefined) => {
    const basic = /^Basic (.+)$/i.exec(authorization ?? "")?.[1];
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, "base64").toString("utf8").split(":").map(decodeURIComponent)
      : [];
    const request: TokenRequest = {
      grantType: body.get("grant_type") ?? "",
      refreshToken: body.get("refresh_token") ?? undefined,
      clientId: basicId ?? body.get("client_id") ?? undefined,
      clientSecret: basicSecret ?? body.get("client_secret") ?? undefined,
      status: 400,
    };
    tokenRequests.push(request);
    const fail = (status: number, error: string, description: string) => {
      request.status = status;
      return { status, body: { error, error_description: description } };
    };
    if (request.grantType !== "refresh_token")
      return fail(400, "unsupported_grant_type", `grant_type ${request.grantType} is not supported`);
    const clientId = request.clientId ?? "";
    if (!Object.hasOwn(options.clients, clientId))
      return fail(401, "invalid_client", `unknown client ${clientId}`);
    const secret = options.clients[clientId];
    if (secret !== undefined && request.clientSecret !== secret)
      return fail(401, "invalid_client", "client authentication failed");
    const grant = refreshTokens.get(request.refreshToken ?? "");
    if (grant === undefined || grant.clientId !== clientId)
      return fail(400, "invalid_grant", "unknown refresh token");
    // Used once: the answer carries its successor, as identity providers that rotate them do.
    refreshTokens.delete(request.refreshToken ?? "");
    request.status = 200;
    const lifetime = options.refreshedTokenSeconds ?? 600;
    return {
      status: 200,
      body: {
        access_token: randomBytes(16).toString("hex"),
        token_type: "Bearer",
        expires_in: lifetime,
        id_token: await idToken(grant.subject, { clientId, expiresInSeconds: lifetime }),
        refresh_token: newRefreshToken(grant.subject, clientId),
      },
    };
  };

  const newRefreshToken = (subject: string, clientId = firstClient) => {
    const value = randomBytes(16).toString("hex");
    refreshTokens.set(value, { subject, clientId });
    return value;
  };

  const server = https.createServer(
    { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) },
    (request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
        response.end(JSON.stringify(body));
      };
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = new URL(request.url ?? "/", url).pathname;
        if (request.method === "GET" && path === "/.well-known/openid-configuration") {
          send(200, {
            issuer: url,
            jwks_uri: `${url}/keys`,
            token_endpoint: `${url}/token`,
            authorization_endpoint: `${url}/authorize`,
            response_types_supported: ["code"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: [ALG],
            grant_types_supported: ["authorization_code", "refresh_token"],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
          });
        } else if (request.method === "GET" && path === "/keys") {
          send(200, jwks);
        } else if (request.method === "POST" && path === "/token") {
          const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
          token(form, request.headers.authorization).then(
            (answer) => send(answer.status, answer.body),
            (error: Error) => send(500, { error: "server_error", error_description: error.message }),
          );
        } else {
          send(404, { error: "not_found", error_description: `${request.method} ${path}` });
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    caPem: readFileSync(options.tls.ca, "utf8"),
    caFile: options.tls.ca,
    tokenRequests,
    idToken,
    refreshToken: newRefreshToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
