import { setTimeout as sleep } from "node:timers/promises";
import type { AgentClient } from "./agent-client.ts";
import type { PluginIo } from "./plugin-io.ts";
import { rolloutSettled } from "./rollout-settled.ts";
import { statusView } from "./status-view.ts";

/** How often `status -w` looks again. */
export const WATCH_INTERVAL_MS = 1000;

/** ANSI: cursor to the top left; clear to the end of the line; clear to the end of the screen. */
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const CLEAR_SCREEN = "\x1b[2J";

/**
 * status NAME: prints the rollout once. With -w it looks again every second until the rollout
 * settles (see rolloutSettled): on a terminal the view is redrawn in place, elsewhere each view
 * that differs from the last is printed below it. Exit 0 when done or waiting for a person, 1 when
 * aborted or stalled.
 */
export async function statusCommand(
  client: AgentClient,
  name: string,
  watch: boolean,
  io: PluginIo,
): Promise<number> {
  if (!watch) {
    io.stdout(`${statusView(await client.snapshot(name)).join("\n")}\n`);
    return 0;
  }
  let previous: string | undefined;
  let first = true;
  for (;;) {
    const snapshot = await client.snapshot(name);
    const view = statusView(snapshot).join("\n");
    const settled = rolloutSettled(snapshot.agent);
    if (io.isTty) {
      const header = `kubectl agentry status ${name} -w   (every ${WATCH_INTERVAL_MS / 1000}s, ${io.now().toISOString().slice(11, 19)})`;
      const lines = [header, "", ...view.split("\n")];
      io.stdout(
        `${first ? CLEAR_SCREEN : ""}${HOME}${lines.map((line) => `${line}${CLEAR_LINE}`).join("\n")}\n${CLEAR_BELOW}`,
      );
    } else if (view !== previous) {
      io.stdout(`${first ? "" : "\n"}${view}\n`);
    }
    first = false;
    previous = view;
    if (settled.settled) {
      io.stdout(`\nrollout settled: ${settled.reason}\n`);
      return settled.ok ? 0 : 1;
    }
    try {
      await sleep(WATCH_INTERVAL_MS, undefined, { signal: io.signal });
    } catch {
      return 0; // Ctrl-C: the user stopped watching.
    }
  }
}
