import { API_GROUP, PLURAL } from "../../api/constants.ts";
import type { AgentClient } from "./agent-client.ts";
import { strategyOf } from "./agent-snapshot.ts";
import type { PluginIo } from "./plugin-io.ts";
import { planUndo } from "./undo-plan.ts";

/** undo [--to-revision N]: spec.image and spec.agent.model back to history entry N (default 1). */
export async function undoCommand(
  client: AgentClient,
  name: string,
  position: number,
  io: PluginIo,
): Promise<number> {
  const agent = await client.getAgent(name);
  const plan = planUndo(agent, position);
  await client.patchAgent(name, plan.patch);
  const { target } = plan;
  io.stdout(
    [
      `${PLURAL}.${API_GROUP}/${name}: back to the image and model of history entry ${target.position} (revision ${target.revision}, ${target.outcome}, started ${target.startedAt}):`,
      ...plan.changes.map((change) => `  ${change}`),
      "Only spec.image and spec.agent.model were changed: status.history records nothing else, so a system prompt,",
      "tools, other settings or Secret/ConfigMap content that differed are not restored. The change rolls out",
      `through the ${strategyOf(agent)} strategy; follow it with \`kubectl agentry status ${name} -w\`.`,
      "",
    ].join("\n"),
  );
  return 0;
}
