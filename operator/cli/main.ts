#!/usr/bin/env node
/**
 * `agentry`: the command-line tool. `agentry validate FILE...` checks manifests offline with the
 * same schema the operator and the CRD use.
 */
import { readFileSync } from "node:fs";
import { formatManifestError, validateManifests } from "./validate-manifests.ts";

const USAGE = `Usage: agentry <command> [arguments]

Commands:
  validate FILE...   Check AgentDeployment manifests offline (multi-document YAML; "-" reads stdin).
                     Prints each error with its file, line and field path; exits 1 on any error.
  help               Show this help.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
  readStdin: () => string;
}

export function runCli(args: string[], io: CliIo): number {
  const [command, ...rest] = args;
  switch (command) {
    case "validate":
      return validateCommand(rest, io);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`agentry: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function validateCommand(files: string[], io: CliIo): number {
  if (files.length === 0) {
    io.stderr('agentry validate: name at least one file, or "-" for standard input\n');
    return 2;
  }
  let failed = false;
  for (const file of files) {
    let text: string;
    try {
      text = file === "-" ? io.readStdin() : io.readFile(file);
    } catch (error) {
      io.stderr(`${file}: cannot read: ${(error as Error).message}\n`);
      failed = true;
      continue;
    }
    const report = validateManifests(text, file === "-" ? "<stdin>" : file);
    for (const error of report.errors) io.stderr(`${formatManifestError(error)}\n`);
    for (const line of report.summary) io.stdout(`${line}\n`);
    if (report.errors.length > 0) failed = true;
  }
  return failed ? 1 : 0;
}

if (import.meta.main) {
  process.exitCode = runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFileSync(path, "utf8"),
    readStdin: () => readFileSync(0, "utf8"),
  });
}
