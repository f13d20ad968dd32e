import { z } from "zod";
import { CONDITION_TYPES, PHASES, SESSION_STORES } from "./constants.ts";

const timestamp = z.iso.datetime({ offset: true }).describe("RFC 3339 time.");

export const conditionSpec = z
  .strictObject({
    type: z
      .string()
      .min(1)
      .max(316)
      .describe(`Condition type: ${CONDITION_TYPES.join(", ")}.`),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
    reason: z.string().max(1024).describe("CamelCase reason, stable enough for automation."),
    message: z.string().max(32_768).describe("What happened, for a person."),
    lastTransitionTime: timestamp.describe("When status last changed."),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("metadata.generation the condition was computed for."),
  })
  .describe("A kstatus-compatible condition.");

export const analysisStatus = z
  .strictObject({
    phase: z
      .enum(["Pending", "Running", "Successful", "Failed", "Inconclusive", "Error"])
      .describe("Where the analysis stands."),
    failures: z.int().min(0).default(0).describe("Failed measurements so far."),
    inconclusives: z.int().min(0).default(0).describe("Inconclusive measurements so far."),
    consecutiveErrors: z.int().min(0).default(0).describe("Query errors in a row."),
    measurements: z.int().min(0).default(0).describe("Measurements taken so far."),
    startedAt: timestamp.optional().describe("When the analysis started."),
    nextMeasurementAt: timestamp.optional().describe("When the next measurement is due."),
    message: z.string().max(4096).optional().describe("Why the analysis stands where it does."),
    queryError: z
      .string()
      .max(4096)
      .optional()
      .describe(
        "While rounds in a row fail to query: why the latest one failed, e.g. " +
          '"Prometheus at http://prometheus:9090 unreachable: ECONNREFUSED ...". A round that queries clears it.',
      ),
    lastMeasurements: z
      .array(
        z
          .strictObject({
            metric: z.string().describe("Metric name."),
            value: z.number().optional().describe("Measured value, when there was one."),
            stableValue: z.number().optional().describe("The stable revision's value, for relative bounds."),
            outcome: z
              .enum(["Successful", "Failed", "Inconclusive", "Error"])
              .describe("Verdict of this measurement."),
            measuredAt: timestamp.describe("When it was measured."),
          })
          .describe("The latest measurement of one metric."),
      )
      .max(10)
      .optional()
      .describe("The latest measurement of each metric."),
  })
  .describe("Progress of an analysis.");

export const historyEntry = z
  .strictObject({
    revision: z.string().describe("Revision hash."),
    image: z.string().describe("Runtime image of that revision."),
    model: z.string().describe("Model of that revision."),
    startedAt: timestamp.describe("When its rollout started."),
    finishedAt: timestamp.optional().describe("When its rollout ended."),
    outcome: z.enum(["Progressing", "Promoted", "Aborted", "Superseded"]).describe("How the rollout ended."),
    message: z.string().max(4096).optional().describe("Why, for aborted rollouts."),
  })
  .describe("One rollout of the past.");

export const agentDeploymentStatus = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("metadata.generation this status describes."),
    phase: z.enum(PHASES).optional().describe("Progressing, Paused, Healthy or Degraded."),
    message: z.string().max(32_768).optional().describe("What is going on, in one line."),
    replicas: z.int().min(0).optional().describe("Pods of all revisions."),
    hpaReplicas: z
      .int()
      .min(0)
      .optional()
      .describe(
        "Pods the autoscaler counts (the scale subresource reads it): during a rollout at most spec.replicas, " +
          "so the surge and canary pods a rollout adds never make a HorizontalPodAutoscaler scale up.",
      ),
    readyReplicas: z.int().min(0).optional().describe("Ready pods of all revisions."),
    updatedReplicas: z.int().min(0).optional().describe("Pods of the update revision."),
    availableReplicas: z.int().min(0).optional().describe("Available pods of all revisions."),
    selector: z
      .string()
      .optional()
      .describe("Label selector of all the agent's pods, for the scale subresource."),
    sessions: z
      .enum(SESSION_STORES)
      .optional()
      .describe(
        "Where conversation state lives. Redis: spec.agent.memory.redis, shared by every replica, so sessions, " +
          "rate limits and the response cache hold across replicas. Disabled: no memory; every replica answers " +
          "any stateless turn, and a request with a sessionId is refused with 400 SESSIONS_DISABLED.",
      ),
    stableRevision: z.string().optional().describe("Revision that serves traffic when no rollout runs."),
    updateRevision: z.string().optional().describe("Revision the spec asks for."),
    canary: z
      .strictObject({
        currentStepIndex: z
          .int()
          .min(0)
          .optional()
          .describe("Index of the step being run; equal to the number of steps once all have passed."),
        stepCount: z.int().min(0).optional().describe("Number of steps of this rollout."),
        step: z
          .string()
          .optional()
          .describe(
            'The step being run as a person counts it (1-based), as in the message: "2/5" while the step at ' +
              "currentStepIndex 1 of 5 runs; the last step once all have passed. Absent without steps.",
          ),
        weight: z.int().min(0).max(100).optional().describe("Percent of traffic on the new revision."),
        stepStartedAt: timestamp.optional().describe("When the current step started."),
        pausedAt: timestamp.optional().describe("When the current pause started."),
        analysis: analysisStatus.optional().describe("The current step's analysis."),
        backgroundAnalysis: analysisStatus.optional().describe("The background analysis."),
      })
      .optional()
      .describe("Canary progress."),
    blueGreen: z
      .strictObject({
        activeRevision: z.string().optional().describe("Revision behind Service NAME."),
        previewRevision: z.string().optional().describe("Revision behind Service NAME-preview."),
        previewReadyAt: timestamp.optional().describe("When the preview became ready."),
        promotingAt: timestamp
          .optional()
          .describe(
            "When promotion was decided: the preview scales to the full count, then Service NAME switches.",
          ),
        promotedAt: timestamp.optional().describe("When Service NAME switched to the preview."),
        scaleDownAt: timestamp.optional().describe("When the old revision will be scaled down."),
        analysis: analysisStatus.optional().describe("The pre- or post-promotion analysis."),
      })
      .optional()
      .describe("Blue-green progress."),
    aborted: z
      .boolean()
      .optional()
      .describe(
        "The rollout of updateRevision was aborted; the agentry.dev/retry annotation or a new spec resumes.",
      ),
    abortedAt: timestamp.optional().describe("When the rollout was aborted."),
    abortMessage: z.string().max(4096).optional().describe("Why the rollout was aborted."),
    restartedAt: timestamp
      .optional()
      .describe(
        "When the last restart (agentry.dev/restart) was asked for; pods older than it are replaced.",
      ),
    conditions: z
      .array(conditionSpec)
      .max(16)
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
      .optional()
      .describe("Ready, Reconciling, Stalled, Available, Paused."),
    history: z.array(historyEntry).max(10).optional().describe("The last 10 rollouts, newest first."),
    url: z.string().optional().describe("In-cluster URL of the agent."),
  })
  .describe("What the operator observed and did.");
