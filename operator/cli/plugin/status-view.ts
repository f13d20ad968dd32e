import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { describeStep } from "../../reconcile/canary.ts";
import { type AgentObject, type AgentSnapshot, strategyOf } from "./agent-snapshot.ts";
import { summarizeRevision } from "./revision-summary.ts";
import { textTable } from "./text-table.ts";

type Analysis = NonNullable<NonNullable<AgentDeploymentStatus["canary"]>["analysis"]>;

/**
 * The rollout of one agent as lines of text: strategy, phase, step, weight, analyses, the live
 * revisions with their image, model and ready pods, and the history `undo --to-revision N` counts
 * in. Pure, so the one-shot print and every redraw of `status -w` show the same thing.
 */
export function statusView({ agent, deployments }: AgentSnapshot): string[] {
  const status = agent.status ?? {};
  const strategy = strategyOf(agent);
  const lines: string[] = [];
  const field = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== "") lines.push(`${`${label}:`.padEnd(13)}${value}`);
  };
  field("Name", `${agent.metadata.name} (namespace ${agent.metadata.namespace ?? "default"})`);
  field("Strategy", strategyLine(agent));
  field("Phase", `${status.phase ?? "Unknown"}${observedNote(agent)}`);
  field("Message", status.message);
  field("Sessions", sessionsLine(status.sessions));
  if (strategy === "Canary") {
    const steps = agent.spec?.strategy?.canary?.steps ?? [];
    const canary = status.canary;
    const index = canary?.currentStepIndex;
    if (index !== undefined) {
      const count = canary?.stepCount ?? steps.length;
      field(
        "Step",
        index >= count ? `${count}/${count} done` : `${index + 1}/${count} (${describeStep(steps[index])})`,
      );
    }
    if (canary?.weight !== undefined) field("Weight", `${canary.weight}%`);
    field("Analysis", analysisLine(canary?.analysis));
    field("Background", analysisLine(canary?.backgroundAnalysis));
  }
  if (strategy === "BlueGreen") {
    const blueGreen = status.blueGreen;
    field("Active", blueGreen?.activeRevision);
    field("Preview", blueGreen?.previewRevision);
    field("Preview ready", blueGreen?.previewReadyAt);
    field("Promoted", blueGreen?.promotedAt);
    field("Scale down", blueGreen?.scaleDownAt);
    field("Analysis", analysisLine(blueGreen?.analysis));
  }
  if (agent.spec?.paused) field("Paused", "spec.paused is true (resume with `kubectl agentry resume`)");
  if (status.aborted) field("Aborted", status.abortMessage ?? "yes");
  field("Stable", status.stableRevision);
  field("Update", status.updateRevision);

  const revisions = deployments
    .filter((deployment) => !deployment.metadata.deletionTimestamp)
    .map(summarizeRevision)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  lines.push("", "Revisions:");
  if (revisions.length === 0) lines.push("  (no Deployment yet)");
  else
    lines.push(
      ...indent(
        textTable([
          ["REVISION", "ROLE", "PODS READY", "IMAGE", "MODEL"],
          ...revisions.map((revision) => [
            revision.revision,
            roleOf(revision.revision, status, strategy),
            `${revision.ready}/${revision.desired}`,
            revision.image,
            revision.model,
          ]),
        ]),
      ),
    );

  const history = status.history ?? [];
  if (history.length > 0) {
    lines.push("", "History (undo --to-revision N):");
    lines.push(
      ...indent(
        textTable([
          ["N", "REVISION", "OUTCOME", "IMAGE", "MODEL", "STARTED"],
          ...history.map((entry, position) => [
            String(position),
            entry.revision,
            entry.outcome,
            entry.image,
            entry.model,
            entry.startedAt,
          ]),
        ]),
      ),
    );
  }
  return lines;
}

function strategyLine(agent: AgentObject): string {
  const strategy = strategyOf(agent);
  if (strategy === "Canary") {
    const steps = agent.spec?.strategy?.canary?.steps ?? [];
    return steps.length === 0
      ? "Canary (no steps)"
      : `Canary: ${steps.map((step) => describeStep(step)).join(" -> ")}`;
  }
  if (strategy === "BlueGreen") {
    const auto = agent.spec?.strategy?.blueGreen?.autoPromotionEnabled !== false;
    return `BlueGreen (${auto ? "auto-promotion" : "promote by hand"})`;
  }
  return strategy;
}

/** Says when the status describes an older spec than the one stored. */
function observedNote(agent: AgentObject): string {
  const generation = agent.metadata.generation;
  const observed = agent.status?.observedGeneration;
  if (generation === undefined || observed === generation) return "";
  return observed === undefined
    ? " (not yet seen by the operator)"
    : ` (for generation ${observed}; the operator has not acted on generation ${generation} yet)`;
}

function analysisLine(analysis: Analysis | undefined): string | undefined {
  if (!analysis) return undefined;
  const parts = [
    `${analysis.phase}`,
    `${analysis.measurements ?? 0} measurement(s), ${analysis.failures ?? 0} failed, ${analysis.inconclusives ?? 0} inconclusive`,
  ];
  const latest = (analysis.lastMeasurements ?? []).map(
    (measurement) =>
      `${measurement.metric}=${measurement.value ?? "-"}${measurement.stableValue === undefined ? "" : ` (stable ${measurement.stableValue})`} ${measurement.outcome}`,
  );
  if (latest.length > 0) parts.push(latest.join(", "));
  if (analysis.message) parts.push(analysis.message);
  return parts.join("; ");
}

function roleOf(revision: string, status: AgentDeploymentStatus, strategy: string): string {
  if (revision === status.stableRevision) return "stable";
  if (revision !== status.updateRevision) return "old";
  if (status.stableRevision === undefined) return "new";
  return strategy === "Canary" ? "canary" : strategy === "BlueGreen" ? "preview" : "new";
}

function indent(lines: string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

function sessionsLine(sessions: AgentDeploymentStatus["sessions"]): string | undefined {
  if (sessions === "Redis") return "Redis (shared by every replica)";
  if (sessions === "Disabled") return "disabled: stateless turns only, no memory.redis";
  return undefined;
}
