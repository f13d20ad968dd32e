/**
 * The harness that carries out Dockerfile steps (test/support/dockerfile-stages.ts and
 * dockerfile-steps.ts), on a small context of its own: Docker's COPY rules, .dockerignore, RUN with
 * ENV, stages shared by their inputs, and the instructions it refuses.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDockerfile } from "../support/dockerfile-stages.ts";
import { DockerfileSteps } from "../support/dockerfile-steps.ts";

const DOCKERFILE = `FROM node:24.21.0-slim AS one
WORKDIR /app
COPY src/ ./src/
ENV GREETING=hello
RUN echo "$GREETING" > made.txt && ls -A src > listing.txt

FROM node:24.21.0-slim
WORKDIR /srv
COPY --from=one /app/made.txt ./
COPY --from=one /app/src/ ./copied/
COPY package.json ./
CMD ["node", "x.js"]
`;

describe("Dockerfile steps without a container engine", () => {
  let context: string;
  let scratch: string;
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
    writeFileSync(path.join(context, file), content);
  };
  const build = (steps: DockerfileSteps, dockerfile = DOCKERFILE) => {
    write("Dockerfile", dockerfile);
    return steps.build(readDockerfile(path.join(context, "Dockerfile")));
  };
  const newSteps = () => new DockerfileSteps({ context, scratch, baseEnv: { PATH: "/usr/bin:/bin" } });

  beforeEach(() => {
    context = mkdtempSync(path.join(tmpdir(), "agentry-context-"));
    scratch = mkdtempSync(path.join(tmpdir(), "agentry-scratch-"));
    write("package.json", "{}");
    write("src/a.txt", "a");
    write("src/run.log", "left out");
    write("src/testing/fixture.txt", "left out");
    write(".dockerignore", "**/*.log\nsrc/testing\n");
  });
  afterEach(() => {
    rmSync(context, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it("copies what .dockerignore lets through, runs RUN with the ENV before it, copies between stages", async () => {
    const [one, image] = await build(newSteps());
    const app = path.join(one?.root as string, "app");
    expect(readFileSync(path.join(app, "listing.txt"), "utf8").split("\n").filter(Boolean)).toEqual([
      "a.txt",
    ]);
    expect(readFileSync(path.join(app, "made.txt"), "utf8")).toBe("hello\n");
    const srv = path.join(image?.root as string, "srv");
    expect(image?.workdir).toBe("/srv");
    expect(readFileSync(path.join(srv, "made.txt"), "utf8")).toBe("hello\n");
    expect(readFileSync(path.join(srv, "copied", "a.txt"), "utf8")).toBe("a");
    expect(readFileSync(path.join(srv, "package.json"), "utf8")).toBe("{}");
  });

  it("runs a stage once for the same instructions and inputs, again when an input changes", async () => {
    const steps = newSteps();
    await build(steps);
    expect((await build(steps)).map((stage) => stage.reused)).toEqual([true, true]);
    write("src/run.log", "ignored files do not count");
    expect((await build(steps)).map((stage) => stage.reused)).toEqual([true, true]);
    write("src/a.txt", "changed");
    expect((await build(steps)).map((stage) => stage.reused)).toEqual([false, false]);
  });

  it("fails on a COPY source that .dockerignore leaves out, or that is missing", async () => {
    for (const source of ["src/testing/", "src/run.log", "nowhere/"])
      await expect(
        build(newSteps(), `FROM node:24.21.0-slim\nWORKDIR /app\nCOPY ${source} ./x/\n`),
      ).rejects.toThrow(`COPY source ${source} is not in the build context`);
  });

  it("fails on a RUN that fails, with its output", async () => {
    await expect(
      build(newSteps(), `FROM node:24.21.0-slim\nRUN echo broken >&2 && exit 3\n`),
    ).rejects.toThrow(/exit 3[\s\S]*broken/);
  });

  it("refuses instructions it does not carry out rather than skip them", () => {
    for (const [line, message] of [
      ["ADD https://example.com/x /x", "ADD is not handled"],
      ['ENTRYPOINT ["node"]', "ENTRYPOINT is not handled"],
      ["CMD node x.js", "CMD must use the exec form"],
      ["COPY --chown=1000 a /a", "COPY flags other than --from"],
      ["HEALTHCHECK NONE", "HEALTHCHECK NONE is not supported"],
    ]) {
      write("Dockerfile", `FROM node:24.21.0-slim\n${line}\n`);
      expect(() => readDockerfile(path.join(context, "Dockerfile")), line).toThrow(message);
    }
  });
});
