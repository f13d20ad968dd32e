/**
 * Where and how model requests are addressed, for each provider type. Pure: the SDK client, the
 * pass-through and the readiness probe all build their URLs and auth headers from this.
 *
 * - `openai`: `baseURL` already ends in the API root (`https://api.openai.com/v1`, a vLLM or
 *   LiteLLM `/v1`); the key goes in `Authorization: Bearer`.
 * - `azure`: `baseURL` is the resource endpoint (`https://NAME.openai.azure.com`); requests go to
 *   `/openai/deployments/{deployment}/...?api-version=...` and the key goes in `api-key`.
 */

export type ProviderSettings = {
  type: "openai" | "azure";
  baseURL: string;
  apiKey: string | undefined;
  /** Required with `type: azure`. */
  azure: { deployment: string; apiVersion: string } | undefined;
};

export type ProviderEndpoint = {
  /** Root that `/chat/completions` is appended to, without a trailing slash. */
  apiRoot: string;
  /** Query parameters every request carries. */
  query: Record<string, string>;
  /** Authentication headers every request carries (lower-case names). */
  authHeaders: Record<string, string>;
  /** A cheap GET that tells whether the endpoint is up and the key accepted (no tokens spent). */
  probeURL: string;
};

function withQuery(url: string, query: Record<string, string>): string {
  const search = new URLSearchParams(query).toString();
  return search === "" ? url : `${url}?${search}`;
}

export function providerEndpointOf(settings: ProviderSettings): ProviderEndpoint {
  const base = settings.baseURL.replace(/\/+$/, "");
  if (settings.type === "openai") {
    return {
      apiRoot: base,
      query: {},
      authHeaders: settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {},
      probeURL: `${base}/models`,
    };
  }
  const { azure } = settings;
  if (!azure) throw new Error("an azure provider needs a deployment and an API version");
  const query = { "api-version": azure.apiVersion };
  return {
    apiRoot: `${base}/openai/deployments/${encodeURIComponent(azure.deployment)}`,
    query,
    authHeaders: settings.apiKey ? { "api-key": settings.apiKey } : {},
    probeURL: withQuery(`${base}/openai/models`, query),
  };
}

/** The full URL of `path` (e.g. `/chat/completions`) on the endpoint, query included. */
export function endpointURL(endpoint: ProviderEndpoint, path: string): string {
  return withQuery(endpoint.apiRoot + path, endpoint.query);
}
