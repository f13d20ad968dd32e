/**
 * Pods of the stable and the canary revision for a weight.
 *
 * Without traffic routing the Service spreads requests over every ready pod, so the weight is a
 * replica ratio and both sides round up, as Argo Rollouts does: 10 pods at 15% are 2 canary and
 * 9 stable, so neither side is under-provisioned. The stable side gives up pods only as canary
 * pods become available, so the agent never has fewer than `desired` available pods because of
 * the rollout.
 *
 * With traffic routing the router splits requests exactly, the canary gets the pods its share
 * needs and the stable revision keeps its full count until the canary has taken over.
 */
export function canaryReplicaSplit(input: {
  desired: number;
  weight: number;
  canaryAvailable: number;
  trafficRouted: boolean;
}): { canary: number; stable: number } {
  const { desired, weight, canaryAvailable, trafficRouted } = input;
  const canary = Math.min(desired, Math.ceil((desired * weight) / 100));
  if (trafficRouted) {
    const stable = weight >= 100 && canaryAvailable >= desired ? 0 : desired;
    return { canary, stable };
  }
  const share = Math.ceil((desired * (100 - weight)) / 100);
  const stable = Math.min(desired, Math.max(share, desired - canaryAvailable));
  return { canary, stable };
}
