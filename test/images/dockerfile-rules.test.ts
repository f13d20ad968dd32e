/**
 * The rules both images keep, read from the Dockerfiles themselves (dockerfile-ast). Their build
 * and start steps are run in dockerfile-steps.integration.test.ts.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AGENTRY_IMAGES } from "../support/agentry-images.ts";
import { type DockerfileStage, readDockerfile } from "../support/dockerfile-stages.ts";
import { dockerignoreOf } from "../support/dockerfile-steps.ts";

const root = path.resolve(import.meta.dirname, "../..");
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  version: string;
  license: string;
  devDependencies: Record<string, string>;
};

const OCI_LABELS = ["title", "description", "source", "licenses", "version"].map(
  (name) => `org.opencontainers.image.${name}`,
);

function stageOf(stages: DockerfileStage[], name: string | undefined): DockerfileStage {
  const stage = stages.find((candidate, index) => candidate.name === name || String(index) === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

const runs = (stage: DockerfileStage) =>
  stage.steps.flatMap((step) => (step.kind === "run" ? [step.command] : []));

describe.each(AGENTRY_IMAGES)("$dockerfile", ({ dockerfile, entry, health, port }) => {
  const stages = readDockerfile(path.join(root, dockerfile));
  const image = stages.at(-1) as DockerfileStage;

  it("is multi-stage, every stage on the slim image of the Node release package.json pins", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const pinned = packageJson.devDependencies.node;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    for (const stage of stages)
      expect(stage.image).toMatch(new RegExp(`^node:${pinned}-slim(@sha256:[0-9a-f]{64})?$`));
  });

  it("runs as a numeric non-root user and group", () => {
    expect(image.user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = (image.user as string).split(":").map(Number);
    expect(uid).not.toBe(0);
    expect(gid).not.toBe(0);
  });

  it("carries the OCI labels, the version from a build argument that defaults to package.json's", () => {
    expect(Object.keys(image.labels)).toEqual(expect.arrayContaining(OCI_LABELS));
    for (const label of OCI_LABELS) expect(image.labels[label]).not.toBe("");
    expect(image.labels["org.opencontainers.image.licenses"]).toBe(packageJson.license);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's reference to its build argument
    expect(image.labels["org.opencontainers.image.version"]).toBe("${VERSION}");
    expect(image.args.VERSION).toBe(packageJson.version);
  });

  it("starts the compiled entry point with node itself, in production mode, no npm at run time", () => {
    expect(image.cmd?.[0]).toBe("node");
    expect(image.cmd?.at(-1)).toBe(entry);
    expect(image.env.NODE_ENV).toBe("production");
    expect(runs(image)).toEqual([]);
    expect(image.stopSignal).toBe("SIGTERM");
  });

  it(`has a HEALTHCHECK that asks ${health} with node (the slim image has no curl)`, () => {
    const command = image.healthcheck?.command ?? [];
    expect(command.slice(0, 2)).toEqual(["node", "-e"]);
    expect(command[2]).toContain(health);
    expect(command[2]).toContain(`process.env.${port}`);
    expect(Object.keys(image.healthcheck?.flags ?? {})).toEqual(
      expect.arrayContaining(["interval", "timeout", "start-period", "retries"]),
    );
    expect(image.expose).toEqual([image.env[port]]);
  });

  it("copies into the image only production node_modules, package.json and the compiled output", () => {
    const copies = image.steps.flatMap((step) => (step.kind === "copy" ? [step] : []));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      if (!copy.from) {
        expect(copy.sources).toEqual(["package.json"]);
        continue;
      }
      const from = stageOf(stages, copy.from);
      expect(from).not.toBe(image);
      for (const source of copy.sources) {
        if (source === "/app/node_modules") {
          expect(runs(from).some((command) => /\bnpm ci\b.*--omit=dev/.test(command))).toBe(true);
          expect(runs(from).some((command) => /\bnpm (install|i)\b/.test(command))).toBe(false);
        } else expect(source).toMatch(/^\/app\/dist\//);
      }
    }
  });

  it("takes nothing from the build context that .dockerignore leaves out", () => {
    const ignored = dockerignoreOf(root);
    const sources = stages.flatMap((stage) =>
      stage.steps.flatMap((step) => (step.kind === "copy" && !step.from ? step.sources : [])),
    );
    for (const source of sources) expect(ignored(source.replace(/\/$/, "")), source).toBe(false);
  });
});

describe(".dockerignore", () => {
  it("leaves out what no image needs: dependencies, output, tests, docs and the repository's history", () => {
    const ignored = dockerignoreOf(root);
    for (const file of [
      "node_modules/fastify/package.json",
      "dist/operator/main.js",
      ".git/HEAD",
      "test/examples.test.ts",
      "bench/runtime.ts",
      "docs/operations.md",
      "examples/canary.yaml",
      "test/support/stub-model-server.ts",
    ])
      expect(ignored(file), file).toBe(true);
    for (const file of ["package.json", "package-lock.json", "tsconfig.build.json", "operator/main.ts"])
      expect(ignored(file), file).toBe(false);
  });
});
