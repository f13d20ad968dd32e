/**
 * A Dockerfile as build stages, read with dockerfile-ast: what each stage starts from, copies, runs
 * and, for the final stage, how the image starts. Only what the project's Dockerfiles use is read;
 * any other instruction that changes the tree or the process (ADD, SHELL, ENTRYPOINT, VOLUME,
 * ONBUILD, heredocs) is an error, so a new one cannot pass the image tests unexamined.
 */
import { readFileSync } from "node:fs";
import {
  type Arg,
  type Cmd,
  type Copy,
  DockerfileParser,
  type Env,
  type From,
  type Healthcheck,
  type Instruction,
  type Label,
} from "dockerfile-ast";

export type StageStep =
  | { kind: "workdir"; path: string }
  | { kind: "copy"; from?: string; sources: string[]; destination: string }
  | { kind: "run"; command: string }
  /** ENV, and ARG with a default: both are in the environment of the RUN steps after them. */
  | { kind: "env"; name: string; value: string };

export type DockerfileStage = {
  /** The `AS` name, if any. */
  name?: string;
  /** The FROM image reference as written, e.g. node:24.21.0-slim. */
  image: string;
  steps: StageStep[];
  /** ENV of the stage, in order (later wins). */
  env: Record<string, string>;
  /** ARG name -> default (undefined when none). */
  args: Record<string, string | undefined>;
  labels: Record<string, string>;
  user?: string;
  expose: string[];
  /** CMD in exec form. */
  cmd?: string[];
  healthcheck?: { command: string[]; flags: Record<string, string> };
  stopSignal?: string;
};

const IGNORED = new Set(["MAINTAINER"]);

export function readDockerfile(file: string): DockerfileStage[] {
  const dockerfile = DockerfileParser.parse(readFileSync(file, "utf8"));
  const stages: DockerfileStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const where = `${file}:${instruction.getRange().start.line + 1}`;
    if (keyword === "FROM") {
      stages.push(fromStage(instruction as From, where));
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${where}: ${keyword} before the first FROM`);
    applyInstruction(stage, instruction, where);
  }
  if (stages.length === 0) throw new Error(`${file}: no FROM instruction`);
  return stages;
}

function fromStage(from: From, where: string): DockerfileStage {
  const image = from.getImage();
  if (!image) throw new Error(`${where}: FROM without an image`);
  return {
    name: from.getBuildStage() ?? undefined,
    image,
    steps: [],
    env: {},
    args: {},
    labels: {},
    expose: [],
  };
}

function applyInstruction(stage: DockerfileStage, instruction: Instruction, where: string): void {
  const keyword = instruction.getKeyword();
  const content = instruction.getArgumentsContent() ?? "";
  switch (keyword) {
    case "WORKDIR":
      stage.steps.push({ kind: "workdir", path: content.trim() });
      return;
    case "RUN":
      if (content.trimStart().startsWith("["))
        throw new Error(`${where}: RUN in exec form is not supported here`);
      stage.steps.push({ kind: "run", command: content });
      return;
    case "COPY":
      stage.steps.push(copyStep(instruction as Copy, where));
      return;
    case "ENV":
      for (const property of (instruction as Env).getProperties()) {
        const value = property.getValue() ?? "";
        stage.env[property.getName()] = value;
        stage.steps.push({ kind: "env", name: property.getName(), value });
      }
      return;
    case "ARG": {
      const property = (instruction as Arg).getProperty();
      if (!property) throw new Error(`${where}: ARG without a name`);
      const value = property.getValue() ?? undefined;
      stage.args[property.getName()] = value;
      if (value !== undefined) stage.steps.push({ kind: "env", name: property.getName(), value });
      return;
    }
    case "LABEL":
      for (const property of (instruction as Label).getProperties())
        stage.labels[property.getName()] = property.getValue() ?? "";
      return;
    case "USER":
      stage.user = content.trim();
      return;
    case "EXPOSE":
      stage.expose.push(...content.trim().split(/\s+/));
      return;
    case "STOPSIGNAL":
      stage.stopSignal = content.trim();
      return;
    case "CMD":
      stage.cmd = execForm(instruction as Cmd, where);
      return;
    case "HEALTHCHECK":
      stage.healthcheck = healthcheck(instruction as Healthcheck, where);
      return;
    default:
      if (IGNORED.has(keyword)) return;
      throw new Error(
        `${where}: ${keyword} is not handled by the image tests; teach test/support/dockerfile-stages.ts`,
      );
  }
}

function copyStep(copy: Copy, where: string): StageStep {
  const unsupported = copy.getFlags().filter((flag) => flag.getName() !== "from");
  if (unsupported.length > 0 || copy.getHeredocs().length > 0)
    throw new Error(`${where}: COPY flags other than --from (or heredocs) are not supported here`);
  const paths = copy.getArguments().map((argument) => argument.getValue());
  const destination = paths.pop();
  if (!destination || paths.length === 0) throw new Error(`${where}: COPY needs a source and a destination`);
  return { kind: "copy", from: copy.getFromFlag()?.getValue() ?? undefined, sources: paths, destination };
}

/** Exec form only: a shell form CMD would run under /bin/sh, which is not what signals expect. */
function execForm(cmd: Cmd, where: string): string[] {
  const strings = cmd.getJSONStrings().map((value) => value.getJSONValue());
  if (strings.length === 0) throw new Error(`${where}: CMD must use the exec form ["executable", ...]`);
  return strings;
}

function healthcheck(instruction: Healthcheck, where: string) {
  const subcommand = instruction.getSubcommand()?.getValue().toUpperCase();
  if (subcommand !== "CMD")
    throw new Error(`${where}: HEALTHCHECK ${subcommand ?? ""} is not supported here`);
  const content = instruction.getArgumentsContent() ?? "";
  // The exec form is a JSON array (Docker parses it as JSON too).
  const json = content.slice(content.indexOf("["));
  const command: unknown = JSON.parse(json);
  if (!Array.isArray(command) || !command.every((part) => typeof part === "string"))
    throw new Error(`${where}: HEALTHCHECK CMD must be a JSON array of strings`);
  const flags = Object.fromEntries(
    instruction.getFlags().map((flag) => [flag.getName(), flag.getValue() ?? ""]),
  );
  return { command, flags };
}
