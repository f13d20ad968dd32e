import { createHash } from "node:crypto";
import { waitFor } from "./wait-for.ts";

/** A Kubernetes label selector (as in a Deployment's spec.selector). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
  }[];
}

interface StageExpression {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** Label put on the Stage objects made by the helper, so leftovers can be found and deleted. */
export const UNREADY_STAGE_LABEL = "agentry.dev/test-unready";

/**
 * kwok picks among matching stages at random, in proportion to their weights; kwok's default
 * stages have weight 0, so any positive weight makes this stage win every time it matches.
 */
const UNREADY_STAGE_WEIGHT = 1000;

export function unreadyStageName(namespace: string, selector: LabelSelector): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([namespace, selector]))
    .digest("hex")
    .slice(0, 10);
  const prefix = `agentry-unready-${namespace}`.slice(0, 52).replace(/-+$/, "");
  return `${prefix}-${digest}`;
}

/**
 * A kwok Stage that plays a failing readiness probe for the pods of one namespace matching a
 * label selector: such a pod is Running, its containers are started, but it is not Ready.
 *
 * It matches new pods (then it wins over kwok's `pod-ready` stage by weight) and pods that are
 * Ready already (touching them makes kwok look again), and never a pod it has already made
 * unready, so kwok does not loop. Pods being deleted are left to kwok's `pod-delete` stage.
 */
export function buildUnreadyStage(namespace: string, selector: LabelSelector): object {
  const expressions: StageExpression[] = [
    { key: ".metadata.namespace", operator: "In", values: [namespace] },
    { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
    {
      key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
      operator: "NotIn",
      values: ["False"],
    },
    ...(selector.matchExpressions ?? []).map((e) => ({
      key: `.metadata.labels[${JSON.stringify(e.key)}]`,
      operator: e.operator,
      ...(e.values && e.values.length > 0 ? { values: e.values } : {}),
    })),
  ];
  return {
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: {
      name: unreadyStageName(namespace, selector),
      labels: { [UNREADY_STAGE_LABEL]: namespace },
    },
    spec: {
      resourceRef: { apiGroup: "v1", kind: "Pod" },
      weight: UNREADY_STAGE_WEIGHT,
      selector: {
        ...(selector.matchLabels && Object.keys(selector.matchLabels).length > 0
          ? { matchLabels: selector.matchLabels }
          : {}),
        matchExpressions: expressions,
      },
      next: { statusTemplate: UNREADY_STATUS_TEMPLATE },
    },
  };
}

// Like kwok's pod-ready stage, but Ready and ContainersReady are False, as the kubelet reports
// a pod whose readiness probe fails. An existing pod IP is kept.
const UNREADY_STATUS_TEMPLATE = `{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  message: "containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  message: "containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]"
  type: ContainersReady
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
{{ if not .status.podIP }}
{{ $hostIPs := NodeIPsWith .spec.nodeName }}
{{ with $hostIPs }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
{{ with $podIPs }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
startTime: {{ $now | Quote }}
{{ end }}
phase: Running
`;

/** A label selector in kubectl's `-l` syntax. */
export function selectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(",")})`);
  }
  return parts.join(",");
}

interface PodStatusLike {
  conditions?: { type: string; status: string; [key: string]: unknown }[];
  containerStatuses?: { ready?: boolean; started?: boolean; [key: string]: unknown }[];
}

/** The status a pod has once its readiness probe passes again (a JSON merge patch body). */
export function readyStatusPatch(status: PodStatusLike, now: string): object {
  const readyTypes = new Set(["Ready", "ContainersReady"]);
  return {
    status: {
      conditions: (status.conditions ?? []).map((c) =>
        readyTypes.has(c.type)
          ? { type: c.type, status: "True", lastTransitionTime: now, lastProbeTime: null }
          : c,
      ),
      containerStatuses: (status.containerStatuses ?? []).map((c) => ({ ...c, ready: true, started: true })),
    },
  };
}

/** Runs kubectl with the test kubeconfig and returns stdout; throws on failure. */
export type Kubectl = (args: string[], input?: string) => Promise<string>;

export type ReadinessTarget =
  | { namespace: string; deployment: string }
  | { namespace: string; selector: LabelSelector };

export interface ReadinessFailure {
  /** Name of the kwok Stage that fails the pods' readiness. */
  stage: string;
  selector: LabelSelector;
  /** Deletes the stage and makes the affected pods Ready again (as a passing probe would). */
  restore(): Promise<void>;
}

interface PodList {
  items: { metadata: { name: string }; status?: PodStatusLike }[];
}

const isReady = (status: PodStatusLike | undefined) =>
  status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** Polls `check`, running `onRetry` between tries (each unsuccessful check triggers one). */
function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  onRetry: () => Promise<void>,
  timeoutMs = 30_000,
) {
  const checkOrRetry = async () => {
    if (await check()) return true;
    await onRetry();
    return false;
  };
  return waitFor(what, checkOrRetry, timeoutMs, undefined, 500);
}

/**
 * Makes the pods of a Deployment (by its selector) or of any label selector fail readiness, now
 * and for pods created later, until `restore()`. Resolves once every matching pod that exists
 * is not Ready. A test namespace's stages are also deleted with the namespace (useTestNamespace).
 */
export async function failReadiness(kubectl: Kubectl, target: ReadinessTarget): Promise<ReadinessFailure> {
  const { namespace } = target;
  const selector =
    "selector" in target
      ? target.selector
      : (
          JSON.parse(
            await kubectl(["get", "deployment", target.deployment, "-n", namespace, "-o", "json"]),
          ) as {
            spec: { selector: LabelSelector };
          }
        ).spec.selector;
  const stage = buildUnreadyStage(namespace, selector) as { metadata: { name: string } };
  await kubectl(["apply", "--server-side", "--field-manager=agentry-test", "-f", "-"], JSON.stringify(stage));

  const listPods = async () =>
    (
      JSON.parse(
        await kubectl(["get", "pods", "-n", namespace, "-l", selectorString(selector), "-o", "json"]),
      ) as PodList
    ).items;
  // kwok looks at a pod again when it changes; an annotation is the least intrusive change.
  const touch = async () => {
    await kubectl([
      "annotate",
      "pods",
      "-n",
      namespace,
      "-l",
      selectorString(selector),
      `agentry.dev/readiness-touched=${Date.now()}`,
      "--overwrite",
    ]);
  };
  await touch();
  await pollUntil(
    `pods matching ${selectorString(selector)} in ${namespace} to become unready`,
    async () => (await listPods()).every((pod) => !isReady(pod.status)),
    touch,
  );

  return {
    stage: stage.metadata.name,
    selector,
    restore: async () => {
      await kubectl(["delete", "stages.kwok.x-k8s.io", stage.metadata.name, "--ignore-not-found"]);
      const patchUnready = async () => {
        for (const pod of await listPods()) {
          if (isReady(pod.status)) continue;
          const patch = readyStatusPatch(pod.status ?? {}, new Date().toISOString());
          await kubectl([
            "patch",
            "pod",
            pod.metadata.name,
            "-n",
            namespace,
            "--subresource=status",
            "--type=merge",
            "-p",
            JSON.stringify(patch),
          ]);
        }
      };
      await patchUnready();
      // kwok may still hold the deleted stage for a moment and undo a patch; patch until it sticks.
      await pollUntil(
        `pods matching ${selectorString(selector)} in ${namespace} to become Ready again`,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return (await listPods()).every((pod) => isReady(pod.status));
        },
        patchUnready,
      );
    },
  };
}
