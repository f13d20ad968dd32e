import type { AgentDeployment } from "../api/agent-deployment.ts";

/**
 * What a valid manifest's rollout will need or wait for, in words, so `agentry validate` says
 * more than "valid" about a canary or blue-green agent: the steps, who promotes, which
 * Prometheus the analyses read, which HTTPRoute must exist.
 */
export function rolloutNotes(agent: AgentDeployment): string[] {
  const { strategy } = agent.spec;
  const name = agent.metadata.name;
  const notes: string[] = [];
  const analyses: Array<{ prometheus?: { address: string } | undefined }> = [];
  if (strategy.type === "Canary") {
    const steps = strategy.canary?.steps ?? [];
    const described = steps.map((step) =>
      step.setWeight !== undefined
        ? `${step.setWeight}%`
        : step.pause
          ? step.pause.duration === undefined
            ? "pause until promoted"
            : `pause ${step.pause.duration}`
          : "analysis",
    );
    notes.push(
      steps.length === 0
        ? "canary without steps: a new revision takes all traffic at once"
        : `canary: ${described.join(" -> ")} -> 100%`,
    );
    if (steps.some((step) => step.pause && step.pause.duration === undefined))
      notes.push("a pause without duration waits for the agentry.dev/promote annotation");
    for (const step of steps) if (step.analysis) analyses.push(step.analysis);
    if (strategy.canary?.analysis) analyses.push(strategy.canary.analysis);
    const route = strategy.canary?.trafficRouting?.gatewayAPI?.httpRoute;
    if (route)
      notes.push(`needs HTTPRoute ${route} with a rule listing Services ${name}-stable and ${name}-canary`);
  }
  if (strategy.type === "BlueGreen") {
    const blueGreen = strategy.blueGreen;
    notes.push(
      blueGreen?.autoPromotionEnabled === false
        ? `blue-green: the new revision waits behind ${name}-preview for the agentry.dev/promote annotation`
        : `blue-green: the new revision is promoted ${blueGreen?.autoPromotionSeconds ? `${blueGreen.autoPromotionSeconds}s after it is ready` : "as soon as it is ready"}`,
    );
    if (blueGreen?.prePromotionAnalysis) analyses.push(blueGreen.prePromotionAnalysis);
    if (blueGreen?.postPromotionAnalysis) analyses.push(blueGreen.postPromotionAnalysis);
  }
  if (analyses.some((analysis) => analysis.prometheus === undefined))
    notes.push(
      "analysis reads the operator's Prometheus (AGENTRY_PROMETHEUS_ADDRESS); without one it pauses the rollout",
    );
  return notes;
}
