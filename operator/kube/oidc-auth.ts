import { readFileSync } from "node:fs";
import type { OutgoingHttpHeaders } from "node:http";
import type { User } from "@kubernetes/client-node/dist/config_types.js";
import type { ClientAuth, Configuration, CustomFetch, ServerMetadata } from "openid-client";
import { saveOidcTokens } from "./save-oidc-tokens.ts";

/** The auth-provider name under which `loadKubeConfig` files a kubeconfig user's `oidc` provider. */
export const OIDC_AUTH_PROVIDER = "agentry-oidc";

/** A token that expires within this margin is renewed before it is sent, as client-go does. */
const EXPIRY_MARGIN_SECONDS = 10;

type OidcConfig = Record<string, string | undefined>;
/** `file`: the kubeconfig that defines the user, where renewed tokens are saved. */
type OidcProvider = { config?: OidcConfig; file?: string };

export class OidcAuthError extends Error {
  override readonly name = "OidcAuthError";
  readonly code = "KUBECONFIG_OIDC";
}

/**
 * A kubeconfig user's `auth-provider: {name: oidc}`, handled as kubectl's (client-go's) oidc
 * provider does: the `id-token` is sent while it is valid; once it has expired (or is missing) the
 * `refresh-token` is exchanged at the token endpoint the issuer's discovery document names, trusting
 * `idp-certificate-authority(-data)` when given and authenticating with `client-secret` when given,
 * for a new id-token; a refresh token the answer does not replace is kept. Renewed tokens are
 * saved into the kubeconfig file that defines the user, as kubectl saves them; when that file
 * cannot be written (a read-only mount) they are kept in memory and a process warning says so.
 *
 * @kubernetes/client-node's own oidc provider cannot renew a token: it hands openid-client the
 * issuer URL as a string where a URL object is required, so every refresh fails with `"server"
 * must be an instance of URL` (kubernetes-client/javascript#2202); it also never sends the client
 * secret, and takes the relative `expires_in` of a token response for a timestamp.
 */
export class OidcAuth {
  /** One refresh at a time per user: concurrent requests wait for the same answer. */
  private readonly refreshes = new WeakMap<OidcConfig, Promise<void>>();
  private readonly unsaved = new Set<string>();

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === OIDC_AUTH_PROVIDER;
  }

  async applyAuthentication(user: User, opts: { headers?: OutgoingHttpHeaders }): Promise<void> {
    const provider = user.authProvider as OidcProvider;
    provider.config ??= {};
    const config = provider.config;
    if (!(await isFresh(user.name, config["id-token"]))) await this.refresh(user.name, provider, config);
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${config["id-token"]}`;
  }

  private refresh(userName: string, provider: OidcProvider, config: OidcConfig): Promise<void> {
    let running = this.refreshes.get(config);
    if (!running) {
      running = refreshIdToken(userName, config)
        .then(() => this.save(userName, provider, config))
        .finally(() => this.refreshes.delete(config));
      this.refreshes.set(config, running);
    }
    return running;
  }

  private save(userName: string, provider: OidcProvider, config: OidcConfig): void {
    if (!provider.file) return;
    const tokens = { idToken: config["id-token"] ?? "", refreshToken: config["refresh-token"] };
    const failure = saveOidcTokens(provider.file, userName, tokens);
    if (failure === undefined || this.unsaved.has(provider.file)) return;
    this.unsaved.add(provider.file);
    process.emitWarning(
      `renewed OIDC tokens of kubeconfig user "${userName}" are kept in memory only: cannot save them to ${provider.file}: ${failure}`,
      { code: "AGENTRY_KUBECONFIG_OIDC_UNSAVED" },
    );
  }
}

async function isFresh(userName: string, idToken: string | undefined): Promise<boolean> {
  if (!idToken) return false;
  const { decodeJwt } = await import("jose");
  let expires: number | undefined;
  try {
    expires = decodeJwt(idToken).exp;
  } catch (error) {
    throw new OidcAuthError(
      `kubeconfig user "${userName}": the OIDC id-token is not a JWT (${(error as Error).message})`,
      { cause: error },
    );
  }
  return expires === undefined || expires > Date.now() / 1000 + EXPIRY_MARGIN_SECONDS;
}

async function refreshIdToken(userName: string, config: OidcConfig): Promise<void> {
  const where = `kubeconfig user "${userName}"`;
  const issuer = config["idp-issuer-url"];
  const clientId = config["client-id"];
  const refreshToken = config["refresh-token"];
  if (!refreshToken)
    throw new OidcAuthError(
      `${where}: the OIDC id-token ${config["id-token"] ? "has expired" : "is missing"} and there is no refresh-token to renew it; log in at ${issuer ?? "the identity provider"} again`,
    );
  if (!issuer || !clientId)
    throw new OidcAuthError(`${where}: renewing the OIDC id-token needs idp-issuer-url and client-id`);
  const client = await import("openid-client");
  const ca = identityProviderCa(where, config);
  const { Agent, fetch } = await import("undici");
  const dispatcher = ca ? new Agent({ connect: { ca } }) : undefined;
  const trusting: CustomFetch | undefined = dispatcher
    ? (url, options) => fetch(url, { ...options, dispatcher } as never) as unknown as Promise<Response>
    : undefined;
  try {
    const discovered = await client.discovery(new URL(issuer), clientId, undefined, client.None(), {
      [client.customFetch]: trusting,
    });
    const secret = config["client-secret"];
    const configuration: Configuration = secret
      ? new client.Configuration(
          discovered.serverMetadata(),
          clientId,
          { client_secret: secret },
          secretAuthentication(client, discovered.serverMetadata(), secret),
        )
      : discovered;
    if (trusting) configuration[client.customFetch] = trusting;
    const tokens = await client.refreshTokenGrant(configuration, refreshToken);
    if (!tokens.id_token) throw new OidcAuthError("the token endpoint answered without an id_token");
    config["id-token"] = tokens.id_token;
    if (tokens.refresh_token) config["refresh-token"] = tokens.refresh_token;
  } catch (error) {
    throw new OidcAuthError(
      `${where}: renewing the OIDC id-token at ${issuer} failed: ${describeFailure(error)}`,
      { cause: error },
    );
  } finally {
    await dispatcher?.close();
  }
}

/** client_secret_basic unless the issuer offers only client_secret_post (client-go tries basic first). */
function secretAuthentication(
  client: typeof import("openid-client"),
  metadata: ServerMetadata,
  secret: string,
): ClientAuth {
  const methods = metadata.token_endpoint_auth_methods_supported;
  const postOnly =
    methods !== undefined &&
    !methods.includes("client_secret_basic") &&
    methods.includes("client_secret_post");
  return postOnly ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
}

/** The CA the kubeconfig names for the identity provider (a file, or base64 PEM data), if any. */
function identityProviderCa(where: string, config: OidcConfig): Buffer | undefined {
  const data = config["idp-certificate-authority-data"];
  if (data) return Buffer.from(data, "base64");
  const file = config["idp-certificate-authority"];
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new OidcAuthError(
      `${where}: cannot read idp-certificate-authority ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The OAuth error and its description when the issuer gave one, else the failure and its cause. */
function describeFailure(error: unknown): string {
  const oauth = error as { error?: unknown; error_description?: unknown; status?: unknown };
  if (typeof oauth.error === "string") {
    const status = typeof oauth.status === "number" ? ` (HTTP ${oauth.status})` : "";
    return `${oauth.error}${oauth.error_description ? `: ${oauth.error_description}` : ""}${status}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error && error.cause.message !== message
      ? `: ${error.cause.message}`
      : "";
  return `${message}${cause}`;
}
