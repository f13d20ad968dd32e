/**
 * Carries out a Dockerfile's build steps on this machine, without a container engine: each stage
 * gets a directory standing for its root filesystem; COPY copies from the build context (filtered by
 * .dockerignore, read with @balena/dockerignore) or from an earlier stage's directory; RUN runs
 * under /bin/sh in the stage's WORKDIR with the stage's ENV. The base image is stood in for by
 * `baseEnv` (PATH to a node of the base image's version; HOME is the stage's /root).
 *
 * Stages are cached by their instructions and inputs, as Docker's build cache does: two
 * Dockerfiles whose build or deps stages are the same share one run of them.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import dockerignore from "@balena/dockerignore";
import type { DockerfileStage } from "./dockerfile-stages.ts";

export type BuiltStage = {
  /** Directory standing for the stage's root filesystem. */
  root: string;
  /** The stage's WORKDIR at its end, as an absolute path inside the image. */
  workdir: string;
  /** Whether this call reused an earlier run of an identical stage. */
  reused: boolean;
};

export type DockerfileStepsOptions = {
  /** The build context (the repository root). */
  context: string;
  /** Where stage directories are made. */
  scratch: string;
  /** The environment the base image gives every RUN (PATH at least). HOME is set per stage. */
  baseEnv: Record<string, string>;
  log?: (line: string) => void;
};

export class DockerfileSteps {
  private readonly built = new Map<string, Promise<BuiltStage>>();
  private readonly ignored: (file: string) => boolean;
  private readonly options: DockerfileStepsOptions;

  constructor(options: DockerfileStepsOptions) {
    this.options = options;
    this.ignored = dockerignoreOf(options.context);
  }

  /** Runs every stage of a Dockerfile (in order) and returns them all; the last is the image. */
  async build(stages: DockerfileStage[]): Promise<BuiltStage[]> {
    const done: Array<{ stage: DockerfileStage; key: string; built: BuiltStage }> = [];
    for (const stage of stages) {
      const dependencies = new Map(
        done.flatMap((entry, index) => [
          [String(index), entry] as const,
          ...(entry.stage.name ? [[entry.stage.name, entry] as const] : []),
        ]),
      );
      const key = this.stageKey(stage, (name) => stageNamed(dependencies, name).key);
      let pending = this.built.get(key);
      const reused = pending !== undefined;
      if (!pending) {
        pending = this.runStage(stage, key, (name) => stageNamed(dependencies, name).built);
        this.built.set(key, pending);
      }
      const built = { ...(await pending), reused };
      done.push({ stage, key, built });
    }
    return done.map((entry) => entry.built);
  }

  /** A hash of the stage's base image, steps and every input they read. */
  private stageKey(stage: DockerfileStage, keyOf: (name: string) => string): string {
    const hash = createHash("sha256").update(JSON.stringify([stage.image, stage.steps]));
    for (const step of stage.steps) {
      if (step.kind !== "copy") continue;
      if (step.from) {
        hash.update(`from:${keyOf(step.from)}`);
        continue;
      }
      for (const source of step.sources)
        for (const file of this.contextFiles(source)) {
          hash.update(`${file}\0`);
          hash.update(readFileSync(path.join(this.options.context, file)));
        }
    }
    return hash.digest("hex").slice(0, 16);
  }

  private async runStage(stage: DockerfileStage, key: string, stageOf: (name: string) => BuiltStage) {
    const root = path.join(this.options.scratch, `stage-${stage.name ?? "image"}-${key}`);
    const home = path.join(root, "root");
    mkdirSync(home, { recursive: true });
    const env: Record<string, string> = { ...this.options.baseEnv, HOME: home };
    let workdir = "/";
    const inImage = (target: string) => path.join(root, path.posix.resolve(workdir, target));
    for (const step of stage.steps) {
      switch (step.kind) {
        case "workdir":
          workdir = path.posix.resolve(workdir, step.path);
          mkdirSync(inImage("."), { recursive: true });
          break;
        case "env":
          env[step.name] = step.value;
          break;
        case "copy":
          if (step.from) {
            const from = stageOf(step.from);
            for (const source of step.sources)
              copyInto(path.join(from.root, source), inImage(step.destination), step.destination, source);
          } else {
            if (step.sources.length > 1 && !step.destination.endsWith("/"))
              throw new Error(`COPY of several sources needs a destination ending in /: ${step.destination}`);
            for (const source of step.sources)
              this.copyFromContext(source, inImage(step.destination), step.destination);
          }
          break;
        case "run":
          this.options.log?.(`[${stage.name ?? "image"}] RUN ${step.command}`);
          await runShell(step.command, inImage("."), env);
          break;
      }
    }
    return { root, workdir, reused: false };
  }

  /** The files of a COPY source that the context sends: the ignored ones are left out. */
  private contextFiles(source: string): string[] {
    if (/[*?[]/.test(source)) throw new Error(`COPY source with a wildcard is not supported here: ${source}`);
    const relative = path.posix.normalize(source).replace(/\/$/, "");
    const absolute = path.join(this.options.context, relative);
    if (!existsSync(absolute) || this.ignored(relative))
      throw new Error(
        `COPY source ${source} is not in the build context (missing, or excluded by .dockerignore)`,
      );
    if (!statSync(absolute).isDirectory()) return [relative];
    return readdirSync(absolute, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.options.context, path.join(entry.parentPath, entry.name)))
      .filter((file) => !this.ignored(file))
      .sort();
  }

  private copyFromContext(source: string, target: string, destination: string): void {
    const files = this.contextFiles(source);
    const base = path.posix.normalize(source).replace(/\/$/, "");
    const isDirectory = statSync(path.join(this.options.context, base)).isDirectory();
    for (const file of files) {
      const inside = isDirectory ? path.relative(base, file) : undefined;
      const to = inside !== undefined ? path.join(target, inside) : fileTarget(target, destination, file);
      mkdirSync(path.dirname(to), { recursive: true });
      cpSync(path.join(this.options.context, file), to);
    }
  }
}

/** Whether the build context leaves a file (path relative to the context) out, per its .dockerignore. */
export function dockerignoreOf(context: string): (file: string) => boolean {
  const rules = path.join(context, ".dockerignore");
  // A CommonJS module whose typings declare `export default`; it sets `.default` to itself.
  const matcher = dockerignore
    .default()
    .add(existsSync(rules) ? readFileSync(rules, "utf8").split("\n") : []);
  return (file) => matcher.ignores(file);
}

function stageNamed<T>(stages: Map<string, T>, name: string): T {
  const stage = stages.get(name);
  if (!stage) throw new Error(`COPY --from=${name}: no earlier stage of that name`);
  return stage;
}

/** Docker's rule: a directory's contents go into the destination; a file goes to dest/ or dest. */
function copyInto(source: string, target: string, destination: string, written: string): void {
  if (!existsSync(source)) throw new Error(`COPY --from source ${written} does not exist in that stage`);
  if (statSync(source).isDirectory()) {
    mkdirSync(target, { recursive: true });
    cpSync(source, target, { recursive: true, verbatimSymlinks: true });
    return;
  }
  const to = fileTarget(target, destination, source);
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(source, to);
}

function fileTarget(target: string, destination: string, file: string): string {
  return destination.endsWith("/") || destination === "." ? path.join(target, path.basename(file)) : target;
}

/** RUN in shell form: /bin/sh -c, as Docker's default SHELL on Linux. */
function runShell(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `RUN ${command} failed (${signal ?? `exit ${code}`}) in ${cwd}:\n${output.join("").slice(-4000)}`,
          ),
        );
    });
  });
}
