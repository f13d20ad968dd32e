import { KubeApiError } from "../../kube/kube-api-error.ts";
import type { AgentClient } from "./agent-client.ts";
import type { AgentSnapshot } from "./agent-snapshot.ts";
import { AgentWatch } from "./agent-watch.ts";
import type { PluginIo } from "./plugin-io.ts";
import { rolloutSettled } from "./rollout-settled.ts";
import { statusView } from "./status-view.ts";

/** A burst of events (a rollout step touches the agent and both Deployments) is drawn once. */
const REDRAW_COALESCE_MS = 150;
/** On a terminal the header clock moves every second, drawn from memory. */
const CLOCK_TICK_MS = 1000;
/** How long `status -w` keeps trying while the API server does not answer. */
const WATCH_GIVE_UP_MS = 30_000;

/** ANSI: cursor to the top left; clear to the end of the line; clear to the end of the screen. */
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const CLEAR_SCREEN = "\x1b[2J";

/**
 * status NAME: prints the rollout once. With -w it lists the agent and its Deployments once, then
 * follows their watches (AgentWatch) until the rollout settles (see rolloutSettled): on a terminal
 * the view is redrawn in place, elsewhere each view that differs from the last is printed below
 * it. Exit 0 when done or waiting for a person, 1 when aborted or stalled. An API server that
 * stops answering mid-watch is retried for 30 s.
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
  return new Promise<number>((resolve, reject) => {
    let previous: string | undefined;
    let first = true;
    let redraw: NodeJS.Timeout | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    let clock: NodeJS.Timeout | undefined;
    let lastError: unknown;
    let ended = false;

    const end = (outcome: { code: number } | { error: unknown }) => {
      if (ended) return;
      ended = true;
      clearTimeout(redraw);
      clearTimeout(giveUp);
      clearInterval(clock);
      io.signal.removeEventListener("abort", onInterrupt);
      void agentWatch.stop().then(() => ("error" in outcome ? reject(outcome.error) : resolve(outcome.code)));
    };
    const onInterrupt = () => end({ code: 0 }); // Ctrl-C: the user stopped watching.

    const draw = () => {
      const snapshot = agentWatch.snapshot();
      if (ended || !snapshot) return;
      show(snapshot);
    };
    const show = (snapshot: AgentSnapshot) => {
      const view = statusView(snapshot).join("\n");
      if (io.isTty) {
        const header = `kubectl agentry status ${name} -w   (watching, ${io.now().toISOString().slice(11, 19)})`;
        const lines = [header, "", ...view.split("\n")];
        io.stdout(
          `${first ? CLEAR_SCREEN : ""}${HOME}${lines.map((line) => `${line}${CLEAR_LINE}`).join("\n")}\n${CLEAR_BELOW}`,
        );
      } else if (view !== previous) {
        io.stdout(`${first ? "" : "\n"}${view}\n`);
      }
      first = false;
      previous = view;
      const settled = rolloutSettled(snapshot.agent);
      if (settled.settled) {
        io.stdout(`\nrollout settled: ${settled.reason}\n`);
        end({ code: settled.ok ? 0 : 1 });
      }
    };

    const agentWatch = new AgentWatch(client, name, {
      onChange: () => {
        redraw ??= setTimeout(() => {
          redraw = undefined;
          draw();
        }, REDRAW_COALESCE_MS);
      },
      onConnect: () => {
        clearTimeout(giveUp);
        giveUp = undefined;
      },
      onError: (error) => {
        // A silent watch is reopened at once by the informer: nothing is lost, nothing to say.
        if (error instanceof KubeApiError && error.code === "KUBE_API_WATCH_IDLE") return;
        // A blip of the API server does not end the watch: the informers retry within a second.
        // Said once per outage; the last error is the one given up with after 30 s.
        if (!(error instanceof KubeApiError && error.isUnavailable)) return end({ error });
        if (giveUp === undefined) io.stderr(`lost the API server (${error.message}); trying again\n`);
        lastError = error;
        giveUp ??= setTimeout(() => end({ error: lastError }), WATCH_GIVE_UP_MS);
      },
      onDeleted: (error) => end({ error }),
    });

    if (io.signal.aborted) return end({ code: 0 });
    io.signal.addEventListener("abort", onInterrupt, { once: true });
    agentWatch.start().then(
      () => {
        if (ended) return;
        draw();
        if (io.isTty && !ended) clock = setInterval(draw, CLOCK_TICK_MS);
      },
      (error: unknown) => end({ error }),
    );
  });
}
