/** The AgentDeployment API's identity, in one place for the CRD, the CLI and the operator. */
export const API_GROUP = "agentry.dev";
export const API_VERSION = "v1alpha1";
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;
export const KIND = "AgentDeployment";
export const LIST_KIND = "AgentDeploymentList";
export const PLURAL = "agentdeployments";
export const SINGULAR = "agentdeployment";
export const SHORT_NAMES = ["agd"];
export const CATEGORIES = ["agentry"];
export const CRD_NAME = `${PLURAL}.${API_GROUP}`;

/**
 * Children are named NAME, NAME-preview, NAME-canary, NAME-stable and NAME-<revision>; every one
 * must be a DNS-1035 label of at most 63 characters, so the agent's own name has to leave room
 * for the longest suffix: "-" plus a 10-character revision hash.
 */
export const REVISION_HASH_LENGTH = 10;
export const MAX_NAME_LENGTH = 63 - 1 - REVISION_HASH_LENGTH;

/** Annotations a user sets (with plain kubectl) to act on a rollout; the operator removes them. */
export const ANNOTATIONS = {
  promote: `${API_GROUP}/promote`,
  promoteFull: `${API_GROUP}/promote-full`,
  abort: `${API_GROUP}/abort`,
  retry: `${API_GROUP}/retry`,
  restart: `${API_GROUP}/restart`,
} as const;

export const LABELS = {
  name: "app.kubernetes.io/name",
  managedBy: "app.kubernetes.io/managed-by",
  agent: `${API_GROUP}/agent`,
  revision: `${API_GROUP}/revision`,
} as const;

export const MANAGED_BY = "agentry";
export const FIELD_MANAGER = "agentry";

/** Condition types in status.conditions (kstatus-compatible: Ready, Reconciling, Stalled). */
export const CONDITION_TYPES = [
  "Ready",
  "Reconciling",
  "Stalled",
  "Progressing",
  "Available",
  "Paused",
  "DriftFight",
] as const;

export const PHASES = ["Progressing", "Paused", "Healthy", "Degraded"] as const;

/** status.sessions: whether the agent keeps conversations (in Redis) or answers stateless turns only. */
export const SESSION_STORES = ["Redis", "Disabled"] as const;

export const HISTORY_LIMIT = 10;
