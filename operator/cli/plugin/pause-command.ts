import { API_GROUP, PLURAL } from "../../api/constants.ts";
import type { AgentClient } from "./agent-client.ts";
import type { PluginIo } from "./plugin-io.ts";

/** pause / resume: spec.paused true or false, a JSON merge patch of that one field. */
export async function pauseCommand(
  client: AgentClient,
  name: string,
  paused: boolean,
  io: PluginIo,
): Promise<number> {
  const agent = await client.getAgent(name);
  const resource = `${PLURAL}.${API_GROUP}/${name}`;
  if ((agent.spec?.paused ?? false) === paused) {
    io.stdout(
      `${resource}: already ${paused ? "paused" : "not paused"} (spec.paused: ${paused}); nothing was changed\n`,
    );
    return 0;
  }
  await client.patchAgent(name, { spec: { paused } });
  io.stdout(
    paused
      ? `${resource}: paused (spec.paused: true); a rollout holds at its current step until \`kubectl agentry resume ${name}\`\n`
      : `${resource}: resumed (spec.paused: false)\n`,
  );
  return 0;
}
