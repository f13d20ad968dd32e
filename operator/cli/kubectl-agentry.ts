#!/usr/bin/env node
/**
 * `kubectl agentry`: the kubectl plugin for AgentDeployment rollouts. kubectl runs any executable
 * named kubectl-agentry on PATH for `kubectl agentry ...`, passing the arguments after the name.
 */
import { readFileSync } from "node:fs";
import type { ANNOTATIONS } from "../api/constants.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import { actionCommand } from "./plugin/action-command.ts";
import { AgentClient } from "./plugin/agent-client.ts";
import { listCommand } from "./plugin/list-command.ts";
import { pauseCommand } from "./plugin/pause-command.ts";
import { type PluginArgs, parsePluginArgs, USAGE } from "./plugin/plugin-args.ts";
import { type Connection, connect, explainKubeError } from "./plugin/plugin-connection.ts";
import { PluginError } from "./plugin/plugin-error.ts";
import type { PluginIo } from "./plugin/plugin-io.ts";
import { renderCommand } from "./plugin/render-command.ts";
import { statusCommand } from "./plugin/status-command.ts";
import { undoCommand } from "./plugin/undo-command.ts";

/** Runs one invocation; resolves to the exit code. Every failure is a message on stderr. */
export async function runPlugin(argv: string[], io: PluginIo): Promise<number> {
  let connection: Connection | undefined;
  try {
    const args = parsePluginArgs(argv);
    if (args.command === "help") {
      io.stdout(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    if (args.command === "render") {
      return renderCommand(
        {
          files: args.positionals,
          namespace: args.connection.namespace,
          defaultImage: args.defaultImage,
          clusterDomain: args.clusterDomain,
          placeholderData: args.placeholderData,
        },
        io,
      );
    }
    connection = connect(args.connection);
    return await runOnCluster(args, new AgentClient(connection), io);
  } catch (error) {
    const failure =
      error instanceof KubeApiError && connection
        ? explainKubeError(error, connection)
        : error instanceof PluginError
          ? error
          : new PluginError(`unexpected error: ${(error as Error).stack ?? String(error)}`);
    io.stderr(`error: ${failure.message}\n${failure.usage ? `\n${USAGE}` : ""}`);
    return failure.exitCode;
  } finally {
    connection?.api.close();
  }
}

async function runOnCluster(args: PluginArgs, client: AgentClient, io: PluginIo): Promise<number> {
  const [name = ""] = args.positionals;
  switch (args.command) {
    case "status":
      return statusCommand(client, name, args.watch, io);
    case "promote":
      return actionCommand(client, name, args.full ? "promoteFull" : "promote", io);
    case "abort":
    case "retry":
    case "restart":
      return actionCommand(client, name, args.command satisfies keyof typeof ANNOTATIONS, io);
    case "pause":
    case "resume":
      return pauseCommand(client, name, args.command === "pause", io);
    case "undo":
      return undoCommand(client, name, args.toRevision ?? 1, io);
    case "list":
      return listCommand(client, io);
    default:
      throw new PluginError(`unknown command "${args.command}"`, 2, { usage: true });
  }
}

if (import.meta.main) {
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  process.exitCode = await runPlugin(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
    readFile: (path) => readFileSync(path, "utf8"),
    readStdin: () => readFileSync(0, "utf8"),
    now: () => new Date(),
    signal: stop.signal,
  });
}
