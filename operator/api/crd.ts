import { z } from "zod";
import { agentDeploymentSpec, NAME_RULE } from "./agent-deployment.ts";
import {
  API_GROUP,
  API_VERSION,
  CATEGORIES,
  CRD_NAME,
  KIND,
  LIST_KIND,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
} from "./constants.ts";
import { agentDeploymentStatus } from "./status.ts";
import { type JsonSchema, toStructuralSchema } from "./structural-schema.ts";

function structural(schema: z.ZodType): JsonSchema {
  return toStructuralSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "throw" }) as JsonSchema);
}

/** What the API server shows as the status of an agent the operator has not looked at yet. */
export const NEW_AGENT_STATUS = { observedGeneration: 0 } as const;

/** The CustomResourceDefinition of AgentDeployment, generated from the zod schema. */
export function buildCrd() {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: CRD_NAME,
      labels: { "app.kubernetes.io/name": "agentry", "app.kubernetes.io/part-of": "agentry" },
      // Synced by Argo CD together with AgentDeployments, the CRD goes first.
      annotations: { "argocd.argoproj.io/sync-wave": "-1" },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: KIND,
        listKind: LIST_KIND,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
        categories: CATEGORIES,
      },
      scope: "Namespaced",
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.replicas",
              statusReplicasPath: ".status.hpaReplicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: [
            {
              name: "Phase",
              type: "string",
              jsonPath: ".status.phase",
              description: "Progressing, Paused, Healthy or Degraded.",
            },
            { name: "Desired", type: "integer", jsonPath: ".spec.replicas", description: "Desired pods." },
            {
              name: "Ready",
              type: "integer",
              jsonPath: ".status.readyReplicas",
              description:
                "Ready pods of all revisions: mid-rollout the stable and the new revision's, which can exceed Desired.",
            },
            {
              name: "Weight",
              type: "integer",
              jsonPath: ".status.canary.weight",
              description: "Percent of traffic on the new revision.",
            },
            {
              name: "Step",
              type: "string",
              jsonPath: ".status.canary.step",
              description: "Canary step being run, 1-based, of the step count: 2/5.",
            },
            {
              name: "Stable",
              type: "string",
              jsonPath: ".status.stableRevision",
              description: "Stable revision.",
            },
            {
              name: "Update",
              type: "string",
              jsonPath: ".status.updateRevision",
              description: "Revision the spec asks for.",
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
            {
              name: "Sessions",
              type: "string",
              jsonPath: ".status.sessions",
              priority: 1,
              description: "Redis, or Disabled: stateless turns only.",
            },
            {
              name: "Message",
              type: "string",
              jsonPath: ".status.message",
              priority: 1,
              description: "What is going on.",
            },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description:
                "AgentDeployment runs an LLM agent: the agent runtime's Deployments, Service, autoscaler, " +
                "Secrets and probes, and rolls out new versions by rolling update, canary or blue-green.",
              required: ["spec"],
              properties: {
                apiVersion: {
                  type: "string",
                  description: "APIVersion of this object: agentry.dev/v1alpha1.",
                },
                kind: { type: "string", description: "Kind of this object: AgentDeployment." },
                metadata: {
                  type: "object",
                  properties: {
                    name: {
                      type: "string",
                      description: "Name of the agent: a DNS-1035 label, the prefix of every object it owns.",
                      "x-kubernetes-validations": [
                        { rule: NAME_RULE.cel, message: NAME_RULE.message, reason: "FieldValueInvalid" },
                      ],
                    },
                  },
                },
                spec: structural(agentDeploymentSpec),
                // A new agent shows `observedGeneration: 0` until the operator's first status write,
                // so kstatus (Helm 4's --wait, Flux) reads it as not yet observed, not as Current.
                status: { ...structural(agentDeploymentStatus), default: NEW_AGENT_STATUS },
              },
            },
          },
        },
      ],
    },
  };
}
