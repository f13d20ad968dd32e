import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { KubeApi } from "../../kube/kube-api.ts";
import { KubeApiError } from "../../kube/kube-api-error.ts";
import { kubeConfigFromFile, loadKubeConfig } from "../../kube/kube-config.ts";
import type { ConnectionFlags } from "./plugin-args.ts";
import { PluginError } from "./plugin-error.ts";

/** An API client for the chosen kubeconfig context, and the namespace commands act in. */
export interface Connection {
  api: KubeApi;
  namespace: string;
  /** The namespace came from -n (not from the context or the default). */
  namespaceGiven: boolean;
  context: string;
  server: string;
}

/** The plugin waits this long for an answer, then says the server is unreachable. */
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * `status -w` reopens a watch that sent nothing, not even a bookmark (the API server sends one
 * about every minute), this long: a black-holed connection is noticed within it.
 */
const WATCH_IDLE_TIMEOUT_MS = 90_000;

/**
 * Loads the kubeconfig as kubectl does (--kubeconfig, else $KUBECONFIG, else ~/.kube/config, else
 * the in-cluster service account) through client-node's KubeConfig, then applies --context and
 * picks the namespace: -n, else the context's namespace, else "default".
 */
export function connect(flags: ConnectionFlags): Connection {
  const kubeConfig = loadConfig(flags.kubeconfig);
  if (flags.context !== undefined) {
    if (!kubeConfig.getContextObject(flags.context)) {
      const known = kubeConfig.getContexts().map((context) => context.name);
      throw new PluginError(
        `context "${flags.context}" is not in the kubeconfig (contexts: ${known.length > 0 ? known.join(", ") : "none"})`,
      );
    }
    kubeConfig.setCurrentContext(flags.context);
  }
  const context = kubeConfig.getCurrentContext();
  if (!kubeConfig.getCurrentCluster())
    throw new PluginError(
      context
        ? `context "${context}" names no cluster in the kubeconfig`
        : "the kubeconfig has no current context: pass --context NAME",
    );
  const namespace = flags.namespace ?? kubeConfig.getContextObject(context)?.namespace ?? "default";
  const api = new KubeApi(kubeConfig, {
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    watchIdleTimeoutMs: WATCH_IDLE_TIMEOUT_MS,
    maxAttempts: 2,
  });
  return {
    api,
    namespace,
    namespaceGiven: flags.namespace !== undefined,
    context,
    server: api.server.origin + api.server.pathname.replace(/\/$/, ""),
  };
}

function loadConfig(file: string | undefined): KubeConfig {
  try {
    return file === undefined ? loadKubeConfig() : kubeConfigFromFile(file);
  } catch (error) {
    const message = (error as Error).message;
    throw new PluginError(
      file === undefined
        ? `cannot load a kubeconfig: ${message}`
        : `cannot load kubeconfig ${file}: ${message}`,
      1,
      { cause: error },
    );
  }
}

/**
 * A failed API call in words a user can act on: the server could not be reached, the credentials
 * were refused, RBAC said no (with the server's own sentence, which names the user, verb and
 * resource), or the object changed meanwhile.
 */
export function explainKubeError(error: KubeApiError, connection: Connection): PluginError {
  const where = `the Kubernetes API server at ${connection.server} (context "${connection.context}")`;
  const said = serverMessage(error);
  // No request was sent: the kubeconfig's credentials (an OIDC token, an exec plugin's answer)
  // could not be had; the cause's sentence says why.
  if (error.code === "KUBE_API_CREDENTIALS") {
    const why = error.cause instanceof Error ? error.cause.message : error.message;
    return new PluginError(`no credentials for ${where}: ${why}`, 1, { cause: error });
  }
  if (error.code === "KUBE_API_UNREACHABLE")
    return new PluginError(`cannot reach ${where}: ${said}`, 1, { cause: error });
  if (error.code === "KUBE_API_TIMEOUT" || error.code === "KUBE_API_WATCH_IDLE")
    return new PluginError(`no answer from ${where} within ${REQUEST_TIMEOUT_MS / 1000}s`, 1, {
      cause: error,
    });
  if (error.status === 401)
    return new PluginError(`${where} did not accept the credentials of this context (401 Unauthorized)`, 1, {
      cause: error,
    });
  if (error.status === 403)
    return new PluginError(
      `permission denied (RBAC): ${said}\nask a cluster admin for a Role that grants it, or check \`kubectl auth can-i ${error.verb} agentdeployments.agentry.dev\``,
      1,
      { cause: error },
    );
  if (error.status === 409)
    return new PluginError(`the object changed while this command ran; run it again (${said})`, 1, {
      cause: error,
    });
  return new PluginError(`${error.verb} ${error.path} failed: ${error.status} ${error.reason}: ${said}`, 1, {
    cause: error,
  });
}

/** The API server's own sentence, without the verb and path KubeApiError puts in front. */
function serverMessage(error: KubeApiError): string {
  const marker = `${error.reason}: `;
  const at = error.message.indexOf(marker);
  return at < 0 ? error.message : error.message.slice(at + marker.length);
}

export function isKubeApiError(error: unknown): error is KubeApiError {
  return error instanceof KubeApiError;
}
