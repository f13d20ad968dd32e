/** A Kubernetes Event the operator records on the AgentDeployment. */
export interface RolloutEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}
