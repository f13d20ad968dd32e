import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiError } from "../../kube/kube-api-error.ts";
import type { AgentClient } from "./agent-client.ts";
import type { PluginIo } from "./plugin-io.ts";
import { rolloutSettled } from "./rollout-settled.ts";
import { statusView } from "./status-view.ts";

/** How often `status -w` looks again. */
export const WATCH_INTERVAL_MS = 1000;
/** How long `status -w` keeps trying while the API server does not answer. */
const WATCH_GIVE_UP_MS = 30_000;

/** ANSI: cursor to the top left; clear to the end of the line; clear to the end of the screen. */
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const CLEAR_SCREEN = "\x1b[2J";

/**
 * status NAME: prints the rollout once. With -w it looks again every second until the rollout
 * settles (see rolloutSettled): on a terminal the view is redrawn in place, elsewhere each view
 * that differs from the last is printed below it. Exit 0 when done or waiting for a person, 1 when
 * aborted or stalled. An API server that stops answering mid-watch is asked again for 30 s.
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
  let failingSince: number | undefined;
  for (;;) {
    let snapshot: Awaited<ReturnType<AgentClient["snapshot"]>>;
    try {
      snapshot = await client.snapshot(name);
      failingSince = undefined;
    } catch (error) {
      // A blip of the API server does not end a watch that has shown something: try again.
      const transient = error instanceof KubeApiError && error.isUnavailable && previous !== undefined;
      failingSince ??= Date.now();
      if (!transient || Date.now() - failingSince > WATCH_GIVE_UP_MS) throw error;
      io.stderr(`lost the API server (${(error as Error).message}); trying again\n`);
      if (!(await pause(io.signal))) return 0;
      continue;
    }
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
    if (!(await pause(io.signal))) return 0; // Ctrl-C: the user stopped watching.
  }
}

/** Waits one interval; false when the signal ended the wait. */
async function pause(signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(WATCH_INTERVAL_MS, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
