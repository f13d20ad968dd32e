import { parseAllDocuments } from "yaml";
import type { AgentDeployment } from "../../api/agent-deployment.ts";
import { API_GROUP_VERSION, KIND } from "../../api/constants.ts";
import { parseAgentDeployment } from "../../api/parse-agent-deployment.ts";
import type { ConfigMap, KubeObject, Secret } from "../../kube/objects.ts";
import { withHashedData } from "../../kube/transforms.ts";
import { type CalledAgent, calledAgentOf } from "../../reconcile/called-agent.ts";
import type { DesiredObject } from "../../reconcile/children.ts";
import { planReconcile } from "../../reconcile/plan-reconcile.ts";
import { childKey, type ObservedState, type ReconcileConfig } from "../../reconcile/reconcile-plan.ts";
import { referencedData } from "../../reconcile/referenced-data.ts";
import { formatManifestError, validateManifests } from "../validate-manifests.ts";

export interface RenderSource {
  /** File name for messages ("<stdin>" for standard input). */
  name: string;
  text: string;
}

export interface RenderOptions {
  /** Namespace of documents that name none (as `kubectl apply -n` would put them). */
  namespace: string;
  config: ReconcileConfig;
  now: Date;
  generateKey: () => string;
  /**
   * Referenced Secrets and ConfigMaps the files lack get placeholder content instead of stopping
   * the render; the revision hash then differs from the cluster's (it covers their content).
   */
  placeholderData?: boolean;
}

export interface RenderedObject {
  source: string;
  agent: string;
  object: DesiredObject;
}

export interface RenderResult {
  objects: RenderedObject[];
  /** Invalid manifests, and agents the operator would not reconcile (with its own message). */
  errors: string[];
  /** Placeholders used (placeholderData). */
  warnings: string[];
}

interface Namespace {
  agents: Map<string, { agent: AgentDeployment; source: string }>;
  secrets: Map<string, Secret>;
  configMaps: Map<string, ConfigMap>;
}

/**
 * `render`: the objects the operator would create for the AgentDeployments in the given files,
 * offline, through the operator's own planReconcile. The files are the cluster: their Secrets and
 * ConfigMaps are what referenced data resolves to (stored as the API server would, then hashed as
 * the operator's cache holds them), and no child exists yet. Like the operator, a first plan
 * creates the generated API-key Secret NAME-auth and a second one, which sees it, the rest.
 *
 * ownerReferences are left out of the output: they need the agent's uid, which only the cluster
 * assigns. Everything else is printed as the operator applies it.
 */
export function renderManifests(sources: readonly RenderSource[], options: RenderOptions): RenderResult {
  const errors: string[] = [];
  for (const source of sources) {
    for (const error of validateManifests(source.text, source.name).errors)
      errors.push(formatManifestError(error));
  }
  if (errors.length > 0) return { objects: [], errors, warnings: [] };

  const namespaces = new Map<string, Namespace>();
  const namespaceOf = (name: string) => {
    let found = namespaces.get(name);
    if (!found) {
      found = { agents: new Map(), secrets: new Map(), configMaps: new Map() };
      namespaces.set(name, found);
    }
    return found;
  };
  const order: Array<{ agent: AgentDeployment; source: string }> = [];
  for (const source of sources) {
    for (const document of parseAllDocuments(source.text)) {
      const manifest = document.toJS() as (KubeObject & Record<string, unknown>) | null;
      if (!manifest || typeof manifest !== "object") continue;
      const namespace = manifest.metadata?.namespace ?? options.namespace;
      const store = namespaceOf(namespace);
      if (manifest.apiVersion === API_GROUP_VERSION && manifest.kind === KIND) {
        const parsed = parseAgentDeployment(manifest);
        if (!parsed.ok) continue; // reported by validateManifests above
        const agent = { ...parsed.value, metadata: { ...parsed.value.metadata, namespace } };
        delete agent.status;
        store.agents.set(agent.metadata.name, { agent, source: source.name });
        order.push({ agent, source: source.name });
      } else if (manifest.apiVersion === "v1" && manifest.kind === "Secret") {
        store.secrets.set(manifest.metadata.name, asStored(manifest as Secret));
      } else if (manifest.apiVersion === "v1" && manifest.kind === "ConfigMap") {
        store.configMaps.set(manifest.metadata.name, withHashedData(manifest as ConfigMap));
      }
    }
  }
  if (order.length === 0)
    return { objects: [], errors: ["no AgentDeployment in the given files"], warnings: [] };

  const observe = (agent: AgentDeployment, children: Map<string, KubeObject>): ObservedState => {
    const store = namespaceOf(agent.metadata.namespace ?? options.namespace);
    const calledAgents = new Map<string, CalledAgent>();
    for (const tool of agent.spec.agent.tools ?? []) {
      const target = tool.agentRef ? store.agents.get(tool.agentRef.name) : undefined;
      if (target) calledAgents.set(target.agent.metadata.name, calledAgentOf(target.agent));
    }
    return {
      agent,
      deployments: [],
      children,
      data: { secrets: store.secrets, configMaps: store.configMaps },
      calledAgents,
    };
  };
  const plan = (agent: AgentDeployment, children: Map<string, KubeObject>) =>
    planReconcile(observe(agent, children), options.config, options.now, options.generateKey);

  // First reconcile of every agent: the Secrets it creates exist before any second reconcile, so an
  // agent whose tool calls another sees that agent's generated key, as in the cluster.
  const created = new Map<AgentDeployment, DesiredObject[]>();
  for (const { agent } of order) {
    const first = plan(agent, new Map());
    created.set(agent, first.createIfMissing);
    for (const object of first.createIfMissing) {
      if (object.kind === "Secret")
        namespaceOf(agent.metadata.namespace ?? options.namespace).secrets.set(
          object.metadata.name,
          asStored(object as Secret),
        );
    }
  }
  const warnings: string[] = [];
  if (options.placeholderData) {
    for (const { agent, source } of order) {
      const observed = observe(agent, new Map());
      const store = namespaceOf(agent.metadata.namespace ?? options.namespace);
      for (const reference of referencedData(agent.metadata.name, agent.spec, observed.calledAgents)) {
        const found =
          reference.kind === "Secret"
            ? store.secrets.get(reference.name)
            : store.configMaps.get(reference.name);
        if (found && (reference.key === undefined || found.data?.[reference.key] !== undefined)) continue;
        const data = {
          ...(found?.data ?? {}),
          ...(reference.key === undefined ? {} : { [reference.key]: "" }),
        };
        const placeholder = {
          apiVersion: "v1",
          kind: reference.kind,
          metadata: { name: reference.name },
          data,
        };
        if (reference.kind === "Secret") store.secrets.set(reference.name, placeholder);
        else store.configMaps.set(reference.name, placeholder);
        warnings.push(
          `${source}: AgentDeployment ${agent.metadata.name}: ${reference.kind} ${reference.name}${reference.key === undefined ? "" : ` key "${reference.key}"`} (${reference.field}) is not in the files; rendered with placeholder content, so the revision differs from the cluster's`,
        );
      }
    }
  }
  const objects: RenderedObject[] = [];
  for (const { agent, source } of order) {
    const mine = created.get(agent) ?? [];
    const children = new Map<string, KubeObject>(
      mine.map((object) => [childKey(object.kind, object.metadata.name), object]),
    );
    const second = plan(agent, children);
    if (second.blocked) {
      errors.push(
        `${source}: AgentDeployment ${agent.metadata.name}: the operator would apply nothing (${second.blocked.reason}): ${second.blocked.message}`,
      );
      continue;
    }
    for (const object of [...mine, ...second.createIfMissing, ...second.apply])
      objects.push({ source, agent: agent.metadata.name, object: withoutOwnerReferences(object) });
  }
  return { objects, errors, warnings };
}

/**
 * A Secret as the API server stores it (stringData merged into base64 data), then hashed as the
 * operator's cache keeps it: the content hashes, and so the revision, come out as in the cluster.
 */
function asStored(secret: Secret): Secret {
  const data = { ...(secret.data ?? {}) };
  for (const [key, value] of Object.entries(secret.stringData ?? {}))
    data[key] = Buffer.from(value, "utf8").toString("base64");
  const { stringData: _merged, ...rest } = secret;
  return withHashedData({ ...rest, data });
}

function withoutOwnerReferences(object: DesiredObject): DesiredObject {
  const { ownerReferences: _uidOnlyInTheCluster, ...metadata } = object.metadata;
  return { ...object, metadata };
}
