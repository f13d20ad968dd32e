/**
 * Stage 5 of a reconcile: the owned objects the agent should have now: the update revision's
 * Deployment (at its target), Service NAME, and the optional children the spec asks for
 * (autoscaler, disruption budget, preview, stable and canary Services). An optional child the spec
 * no longer asks for is deleted.
 */
import type { ObjectRef } from "../kube/objects.ts";
import {
  buildAutoscaler,
  buildDeployment,
  buildDisruptionBudget,
  buildRevisionService,
  buildService,
  type DesiredObject,
} from "./children.ts";
import { childNames } from "./names.ts";
import { withRevision } from "./pod-template.ts";
import { childKey, type ObservedState, refTo } from "./reconcile-plan.ts";
import type { Revisions } from "./revisions.ts";
import type { StrategyOutcome } from "./rollout-step.ts";

export interface DesiredChildren {
  desired: DesiredObject[];
  deletes: ObjectRef[];
}

export function desiredChildren(
  observed: ObservedState,
  revisions: Revisions,
  outcome: StrategyOutcome,
): DesiredChildren {
  const { agent } = observed;
  const { spec } = agent;
  const name = agent.metadata.name;
  const { revision, progressive, stable, template } = revisions;
  const desired: DesiredObject[] = [];
  const deletes: ObjectRef[] = [];
  const updateTarget = outcome.targets.get(revision);
  if (updateTarget !== undefined) {
    desired.push(buildDeployment(agent, revision, withRevision(template, revision), updateTarget));
  }
  desired.push(buildService(agent, outcome.serviceRevision));
  const inFlight = progressive ? revision : undefined;
  const servingRevision = progressive && stable ? stable.revision : revision;
  const routed = spec.strategy.type === "Canary" && spec.strategy.canary?.trafficRouting !== undefined;
  const revisionService = (serviceName: string, selected: string, wanted: boolean) =>
    wanted ? buildRevisionService(agent, serviceName, selected) : undefined;
  const optional: Array<[string, string, DesiredObject | undefined]> = [
    ["HorizontalPodAutoscaler", childNames.autoscaler(name), buildAutoscaler(agent)],
    ["PodDisruptionBudget", childNames.disruptionBudget(name), buildDisruptionBudget(agent)],
    [
      "Service",
      childNames.previewService(name),
      revisionService(
        childNames.previewService(name),
        inFlight ?? revision,
        spec.strategy.type === "BlueGreen",
      ),
    ],
    [
      "Service",
      childNames.stableService(name),
      revisionService(childNames.stableService(name), servingRevision, routed),
    ],
    [
      "Service",
      childNames.canaryService(name),
      revisionService(childNames.canaryService(name), inFlight ?? revision, routed),
    ],
  ];
  for (const [kind, childName, object] of optional) {
    if (object) desired.push(object);
    else {
      const existing = observed.children.get(childKey(kind, childName));
      if (existing) deletes.push(refTo(existing, kind));
    }
  }
  return { desired, deletes };
}
