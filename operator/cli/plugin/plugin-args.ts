import { parseArgs } from "node:util";
import { PluginError } from "./plugin-error.ts";

export const COMMANDS = [
  "status",
  "promote",
  "abort",
  "retry",
  "restart",
  "pause",
  "resume",
  "undo",
  "list",
  "render",
] as const;
export type Command = (typeof COMMANDS)[number];

/** Where to connect, as kubectl's own flags say it. */
export interface ConnectionFlags {
  kubeconfig: string | undefined;
  context: string | undefined;
  namespace: string | undefined;
}

export interface PluginArgs {
  command: Command | "help";
  positionals: string[];
  connection: ConnectionFlags;
  watch: boolean;
  full: boolean;
  toRevision: number | undefined;
  defaultImage: string | undefined;
  clusterDomain: string | undefined;
  placeholderData: boolean;
}

const OPTIONS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  watch: { type: "boolean", short: "w" },
  full: { type: "boolean" },
  "to-revision": { type: "string" },
  "default-image": { type: "string" },
  "cluster-domain": { type: "string" },
  "placeholder-data": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The command-specific flags each command accepts (the connection flags go with every command). */
const COMMAND_FLAGS: Record<Command, string[]> = {
  status: ["watch"],
  promote: ["full"],
  abort: [],
  retry: [],
  restart: [],
  pause: [],
  resume: [],
  undo: ["to-revision"],
  list: [],
  render: ["default-image", "cluster-domain", "placeholder-data"],
};

/** How many positional arguments each command takes: [min, max]. */
const POSITIONALS: Record<Command, [number, number, string]> = {
  status: [1, 1, "NAME"],
  promote: [1, 1, "NAME"],
  abort: [1, 1, "NAME"],
  retry: [1, 1, "NAME"],
  restart: [1, 1, "NAME"],
  pause: [1, 1, "NAME"],
  resume: [1, 1, "NAME"],
  undo: [1, 1, "NAME"],
  list: [0, 0, ""],
  render: [1, Number.POSITIVE_INFINITY, "FILE..."],
};

/** Parses `kubectl agentry COMMAND [flags] ARGS`; flags may come before or after the arguments. */
export function parsePluginArgs(argv: string[]): PluginArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new PluginError((error as Error).message, 2, { usage: true });
  }
  const { values, positionals } = parsed;
  const [word, ...rest] = positionals;
  const connection = {
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values.namespace,
  };
  const base = { connection, watch: false, full: false, toRevision: undefined };
  if (word === undefined || word === "help" || values.help) {
    return {
      ...base,
      command: "help",
      positionals: [],
      defaultImage: undefined,
      clusterDomain: undefined,
      placeholderData: false,
    };
  }
  if (!(COMMANDS as readonly string[]).includes(word))
    throw new PluginError(`unknown command "${word}"`, 2, { usage: true });
  const command = word as Command;
  const allowed = COMMAND_FLAGS[command];
  for (const flag of [
    "watch",
    "full",
    "to-revision",
    "default-image",
    "cluster-domain",
    "placeholder-data",
  ] as const) {
    if (values[flag] !== undefined && !allowed.includes(flag))
      throw new PluginError(`${command} does not take --${flag}`, 2, { usage: true });
  }
  const [min, max, shape] = POSITIONALS[command];
  if (rest.length < min || rest.length > max)
    throw new PluginError(
      `usage: kubectl agentry ${command}${shape ? ` ${shape}` : ""} (got ${rest.length === 0 ? "no arguments" : rest.join(" ")})`,
      2,
    );
  return {
    command,
    positionals: rest,
    connection,
    watch: values.watch ?? false,
    full: values.full ?? false,
    toRevision: parseRevisionNumber(values["to-revision"]),
    defaultImage: values["default-image"],
    clusterDomain: values["cluster-domain"],
    placeholderData: values["placeholder-data"] ?? false,
  };
}

function parseRevisionNumber(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(raw))
    throw new PluginError(
      `--to-revision takes a position in status.history (1 = the revision before the latest), got "${raw}"`,
      2,
    );
  return Number(raw);
}

export const USAGE = `Usage: kubectl agentry COMMAND [flags]

Rollouts of AgentDeployments (agentry.dev/v1alpha1):
  status NAME [-w]             Strategy, step, weight, analyses, revisions and history; -w redraws
                               until the rollout settles (exit 0 done or waiting for a promote,
                               1 aborted or stalled)
  promote NAME [--full]        Finish the current step (--full: skip every remaining step)
  abort NAME                   Send all traffic back to the stable revision
  retry NAME                   Start an aborted rollout again from its first step
  restart NAME                 Replace every pod of the live revisions, one at a time
  pause NAME                   Hold the rollout where it is (spec.paused: true)
  resume NAME                  Go on (spec.paused: false)
  undo NAME [--to-revision N]  Set spec.image and spec.agent.model back to those of history entry N
                               (default 1, the revision before the latest); only those two fields
  list                         Every AgentDeployment in every namespace (-n: one namespace)
  render FILE... [--default-image IMAGE] [--cluster-domain DOMAIN] [--placeholder-data]
                               Print the objects the operator would create for the AgentDeployments
                               in FILE ("-" reads stdin), offline, with the operator's own planning;
                               referenced Secrets/ConfigMaps come from the files (--placeholder-data:
                               placeholders for missing ones; the revision hash then differs)

Connection (as kubectl): --kubeconfig FILE, --context NAME, -n/--namespace NAMESPACE
`;
