import { ANNOTATIONS, API_GROUP, PLURAL } from "../../api/constants.ts";
import { actionProblem, type RolloutAction } from "./action-check.ts";
import type { AgentClient } from "./agent-client.ts";
import { PluginError } from "./plugin-error.ts";
import type { PluginIo } from "./plugin-io.ts";

const WORDS: Record<RolloutAction, string> = {
  promote: "promote",
  promoteFull: "full promotion",
  abort: "abort",
  retry: "retry",
  restart: "restart",
};

/**
 * promote, promote --full, abort, retry, restart: sets the action's annotation, which the operator
 * acts on once and removes, exactly as `kubectl annotate agd NAME agentry.dev/...=` does.
 */
export async function actionCommand(
  client: AgentClient,
  name: string,
  action: RolloutAction,
  io: PluginIo,
): Promise<number> {
  const agent = await client.getAgent(name);
  const problem = actionProblem(agent, action);
  if (problem) throw new PluginError(`${problem}; nothing was changed`);
  const key = ANNOTATIONS[action];
  await client.patchAgent(name, { metadata: { annotations: { [key]: io.now().toISOString() } } });
  io.stdout(
    `${PLURAL}.${API_GROUP}/${name}: ${WORDS[action]} requested (annotation ${key}); the operator acts on it once and removes it\n`,
  );
  const held = agent.spec?.paused && (action === "promote" || action === "promoteFull");
  if (held) io.stdout(`note: spec.paused is true, so it waits until \`kubectl agentry resume ${name}\`\n`);
  return 0;
}
