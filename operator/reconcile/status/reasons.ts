/**
 * Every reason the operator writes, in status conditions and in Events: stable enough for
 * automation (alerts, `kubectl get events --field-selector reason=...`), so each key is its value
 * in camelCase and nothing else in the operator spells a reason out.
 */
export const REASONS = {
  // Conditions: the rollout.
  rolloutComplete: "RolloutComplete",
  rollingOut: "RollingOut",
  scaling: "Scaling",
  paused: "Paused",
  notPaused: "NotPaused",
  rolloutPause: "RolloutPause",
  rolloutAborted: "RolloutAborted",
  minimumReplicasAvailable: "MinimumReplicasAvailable",
  minimumReplicasUnavailable: "MinimumReplicasUnavailable",
  recovered: "Recovered",
  // Conditions and Warning Events: why an agent is stalled.
  trafficRoutingInvalid: "TrafficRoutingInvalid",
  missingReference: "MissingReference",
  missingAgentRef: "MissingAgentRef",
  missingToolCredential: "MissingToolCredential",
  noImage: "NoImage",
  invalidSpec: "InvalidSpec",
  progressDeadlineExceeded: "ProgressDeadlineExceeded",
  applyFailed: "ApplyFailed",
  // Events of a rollout's steps and of user actions.
  rolloutStarted: "RolloutStarted",
  rolloutRetried: "RolloutRetried",
  canaryStepCompleted: "CanaryStepCompleted",
  promotedFull: "PromotedFull",
  previewReady: "PreviewReady",
  promoted: "Promoted",
  actionIgnored: "ActionIgnored",
  restartRequested: "RestartRequested",
  // Analysis.
  analysisMeasured: "AnalysisMeasured",
  analysisSuccessful: "AnalysisSuccessful",
  analysisFailed: "AnalysisFailed",
  analysisInconclusive: "AnalysisInconclusive",
  analysisQueryFailed: "AnalysisQueryFailed",
  // Drift.
  driftRepaired: "DriftRepaired",
  driftFight: "DriftFight",
} as const;

/** The reason of an analysis verdict's Event. */
export function analysisVerdictReason(phase: "Successful" | "Failed" | "Inconclusive"): string {
  return {
    Successful: REASONS.analysisSuccessful,
    Failed: REASONS.analysisFailed,
    Inconclusive: REASONS.analysisInconclusive,
  }[phase];
}
