import { describe, expect, it } from "vitest";
import { findDrift } from "../../../../operator/reconcile/drift/declared-drift.ts";
import { parseQuantity, sameQuantity } from "../../../../operator/reconcile/drift/quantity.ts";

const service = {
  metadata: { labels: { "agentry.dev/agent": "bot", "app.kubernetes.io/managed-by": "agentry" } },
  spec: {
    type: "ClusterIP",
    selector: { "agentry.dev/agent": "bot" },
    ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
  },
};

const deployment = {
  spec: {
    replicas: 2,
    template: {
      spec: {
        tolerations: [{ key: "dedicated", operator: "Equal", value: "agents", effect: "NoSchedule" }],
        containers: [
          {
            name: "agent",
            image: "runtime:1",
            ports: [{ name: "http", containerPort: 8080 }],
            env: [
              { name: "A", value: "1" },
              { name: "EMPTY", value: "" },
              { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            ],
            resources: { requests: { cpu: "1000m", memory: "256Mi" }, limits: { memory: 1073741824 } },
          },
        ],
      },
    },
  },
};

/** What the API server stores for `deployment`: defaults added, quantities canonical, lists reordered. */
const storedDeployment = {
  spec: {
    replicas: 2,
    revisionHistoryLimit: 1,
    template: {
      spec: {
        dnsPolicy: "ClusterFirst",
        tolerations: [{ key: "dedicated", operator: "Equal", value: "agents", effect: "NoSchedule" }],
        containers: [
          {
            name: "agent",
            image: "runtime:1",
            imagePullPolicy: "IfNotPresent",
            ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
            env: [
              { name: "POD", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
              { name: "EMPTY" },
              { name: "A", value: "1" },
            ],
            resources: { requests: { cpu: "1", memory: "256Mi" }, limits: { memory: "1Gi" } },
            terminationMessagePath: "/dev/termination-log",
          },
        ],
      },
    },
  },
};

const withContainer = (change: Record<string, unknown>) => ({
  spec: {
    ...storedDeployment.spec,
    template: {
      spec: {
        ...storedDeployment.spec.template.spec,
        containers: [{ ...storedDeployment.spec.template.spec.containers[0], ...change }],
      },
    },
  },
});

const container = "spec.template.spec.containers[name=agent]";

describe("findDrift", () => {
  const cases: Array<[string, unknown, unknown, Array<{ path: string; missingEntry: boolean }>]> = [
    [
      "an object as the server stores it: defaults, canonical quantities, other order",
      deployment,
      storedDeployment,
      [],
    ],
    [
      "a Service with server defaults (clusterIP, sessionAffinity, nodePort)",
      service,
      {
        metadata: { ...service.metadata, resourceVersion: "7" },
        spec: { ...service.spec, clusterIP: "10.0.0.1", sessionAffinity: "None" },
      },
      [],
    ],
    [
      "a selector pointed elsewhere",
      service,
      { ...service, spec: { ...service.spec, selector: { "agentry.dev/agent": "other" } } },
      [{ path: "spec.selector", missingEntry: false }],
    ],
    [
      "a selector narrowed by one more label (atomic: any extra key is drift)",
      service,
      { ...service, spec: { ...service.spec, selector: { "agentry.dev/agent": "bot", tier: "x" } } },
      [{ path: "spec.selector", missingEntry: false }],
    ],
    [
      "a removed label",
      service,
      { ...service, metadata: { labels: { "agentry.dev/agent": "bot" } } },
      [{ path: "metadata.labels.app.kubernetes.io/managed-by", missingEntry: false }],
    ],
    [
      "a changed Service port: the declared entry is gone",
      service,
      { ...service, spec: { ...service.spec, ports: [{ ...service.spec.ports[0], port: 81 }] } },
      [{ path: "spec.ports[port=80]", missingEntry: true }],
    ],
    [
      "a changed targetPort inside the declared entry",
      service,
      { ...service, spec: { ...service.spec, ports: [{ ...service.spec.ports[0], targetPort: 9090 }] } },
      [{ path: "spec.ports[port=80].targetPort", missingEntry: false }],
    ],
    [
      "an extra port someone added is not drift",
      service,
      {
        ...service,
        spec: {
          ...service.spec,
          ports: [{ name: "debug", port: 9000, protocol: "TCP" }, ...service.spec.ports],
        },
      },
      [],
    ],
    [
      "another image",
      deployment,
      withContainer({ image: "evil:1" }),
      [{ path: `${container}.image`, missingEntry: false }],
    ],
    [
      "a changed CPU request",
      deployment,
      withContainer({ resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { memory: "1Gi" } } }),
      [{ path: `${container}.resources.requests.cpu`, missingEntry: false }],
    ],
    [
      "a removed env var",
      deployment,
      withContainer({ env: storedDeployment.spec.template.spec.containers[0]?.env.slice(0, 2) }),
      [{ path: `${container}.env[name=A]`, missingEntry: true }],
    ],
    [
      "a toleration added to an atomic list",
      deployment,
      {
        spec: {
          ...storedDeployment.spec,
          template: {
            spec: {
              ...storedDeployment.spec.template.spec,
              tolerations: [
                ...storedDeployment.spec.template.spec.tolerations,
                { key: "x", operator: "Exists" },
              ],
            },
          },
        },
      },
      [{ path: "spec.template.spec.tolerations", missingEntry: false }],
    ],
    [
      "scaled by hand",
      deployment,
      { spec: { ...storedDeployment.spec, replicas: 5 } },
      [{ path: "spec.replicas", missingEntry: false }],
    ],
    [
      "an HPA with another maxReplicas; int-or-string and quantity targets compare by value",
      {
        spec: {
          maxReplicas: 4,
          metrics: [
            {
              type: "Pods",
              pods: { metric: { name: "m" }, target: { type: "AverageValue", averageValue: "8" } },
            },
          ],
        },
      },
      {
        spec: {
          maxReplicas: 10,
          metrics: [
            {
              type: "Pods",
              pods: { metric: { name: "m" }, target: { type: "AverageValue", averageValue: "8000m" } },
            },
          ],
        },
      },
      [{ path: "spec.maxReplicas", missingEntry: false }],
    ],
    [
      "a PDB maxUnavailable as a string",
      { spec: { maxUnavailable: 1 } },
      { spec: { maxUnavailable: "1" } },
      [],
    ],
    [
      "a percentage is not a number",
      { spec: { minAvailable: "50%" } },
      { spec: { minAvailable: "50" } },
      [{ path: "spec.minAvailable", missingEntry: false }],
    ],
    ["a whole missing object", service, undefined, [{ path: "", missingEntry: false }]],
    [
      "a list item, which carries no apiVersion or kind: its identity is not drift",
      { apiVersion: "v1", kind: "Service", ...service, metadata: { ...service.metadata, name: "bot" } },
      { ...service, metadata: { ...service.metadata, name: "bot", namespace: "agents" } },
      [],
    ],
    [
      "an object served at another version, with a changed field",
      { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", spec: { maxReplicas: 4 } },
      { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", spec: { maxReplicas: 5 } },
      [{ path: "spec.maxReplicas", missingEntry: false }],
    ],
  ];

  it.each(cases)("%s", (_name, declared, live, expected) => {
    expect(findDrift(declared, live)).toEqual(expected);
  });

  it("reports every drifted field of one object", () => {
    const live = { ...service, metadata: { labels: {} }, spec: { ...service.spec, type: "NodePort" } };
    expect(findDrift(service, live).map((field) => field.path)).toEqual([
      "metadata.labels.agentry.dev/agent",
      "metadata.labels.app.kubernetes.io/managed-by",
      "spec.type",
    ]);
  });
});

describe("quantities", () => {
  it.each([
    ["1000m", "1", true],
    [1073741824, "1Gi", true],
    ["1.5Gi", "1536Mi", true],
    ["0.25", "250m", true],
    ["1e3", "1k", true],
    ["128Mi", "128M", false],
    ["100m", "1", false],
  ] as const)("%s = %s: %s", (a, b, same) => {
    expect(sameQuantity(a, b)).toBe(same);
  });

  it("is not fooled by text that is no quantity", () => {
    expect(parseQuantity("fast")).toBeUndefined();
    expect(sameQuantity("fast", "fast")).toBe(false);
  });
});
