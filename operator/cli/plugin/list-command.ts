import type { AgentClient } from "./agent-client.ts";
import { listView } from "./list-view.ts";
import type { PluginIo } from "./plugin-io.ts";

/** list: every AgentDeployment of the cluster (or of the namespace given with -n). */
export async function listCommand(client: AgentClient, io: PluginIo): Promise<number> {
  const agents = await client.listAgents();
  io.stdout(`${listView(agents, io.now()).join("\n")}\n`);
  return 0;
}
