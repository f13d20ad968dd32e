/**
 * Each Dockerfile's build and start steps, run on this machine without a container engine (no
 * image is built): the stages' COPY and RUN steps in temporary directories (npm ci from the npm
 * registry, npm run build; see test/support/dockerfile-steps.ts), then the final stage's tree made
 * read-only and its CMD started as the image's USER in a mount namespace whose root filesystem is
 * read-only (test/support/read-only-process.ts), with the image's ENV. The stand-in for the base
 * image is the Node release package.json pins (node_modules/node), the one the FROM line names.
 *
 * The two Dockerfiles' build and deps stages are identical, so they run once and are shared, as
 * Docker's build cache would share them. Run time is dominated by the two `npm ci` and `tsc`.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENTRY_IMAGES } from "../support/agentry-images.ts";
import { type DockerfileStage, readDockerfile } from "../support/dockerfile-stages.ts";
import { type BuiltStage, DockerfileSteps } from "../support/dockerfile-steps.ts";
import { freeLoopbackPort } from "../support/free-ports.ts";
import {
  type ReadOnlyProcessOptions,
  readOnlyProcessSupport,
  runReadOnly,
  startReadOnlyProcess,
} from "../support/read-only-process.ts";
import { requireRealPart } from "../support/require-real-part.ts";
import { type StubModelServer, startStubModelServer } from "../support/stub-model-server.ts";

const root = path.resolve(import.meta.dirname, "../..");
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
/** The project's pinned Node release, the same as the base image's. */
const nodeBinary = path.join(root, "node_modules", "node", "bin", "node");
const basePath = `${path.dirname(nodeBinary)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

type Image = { stage: DockerfileStage; built: BuiltStage[]; uid: number; gid: number };

const support = readOnlyProcessSupport();
const runnable = requireRealPart(
  "running a process as uid 1000 on a read-only root filesystem",
  support.available,
  `${support.reason}; util-linux unshare, setpriv and findmnt, as root`,
  "images: Dockerfile steps",
);

/**
 * This machine's way to the npm registry (its npm config files and proxy variables): a build host
 * gives the same to a docker build. The npm cache is each stage's own ($HOME/.npm), as in a build.
 */
function registryAccess(): Record<string, string> {
  const config = execFileSync("npm", ["config", "get", "globalconfig", "userconfig"], {
    encoding: "utf8",
    cwd: root,
  });
  const access: Record<string, string> = {};
  for (const line of config.split("\n")) {
    const [key, value] = [line.slice(0, line.indexOf("=")).trim(), line.slice(line.indexOf("=") + 1).trim()];
    if (key && value && existsSync(value)) access[`npm_config_${key}`] = value;
  }
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]) {
    const value = process.env[name];
    if (value) access[name] = value;
  }
  return access;
}

async function waitForAnswer(url: string, exited: Promise<unknown>, output: () => string): Promise<Response> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the process exited before answering ${url}:\n${output()}`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer from ${url} within 30 s:\n${output()}`);
}

describe.runIf(runnable)("images: each Dockerfile's build and start steps", () => {
  let scratch: string;
  let home: string;
  const images = new Map<string, Image>();

  beforeAll(async () => {
    expect(execFileSync(nodeBinary, ["--version"], { encoding: "utf8" }).trim()).toBe(
      `v${packageJson.devDependencies.node}`,
    );
    scratch = mkdtempSync(path.join(tmpdir(), "agentry-images-"));
    chmodSync(scratch, 0o755);
    // The base image's HOME for uid 1000 (/home/node): empty, and read-only like the rest.
    home = path.join(scratch, "home-node");
    mkdirSync(home);
    const steps = new DockerfileSteps({
      context: root,
      scratch,
      baseEnv: { PATH: basePath, ...registryAccess() },
      log: (line) => console.log(`[images] ${line}`),
    });
    for (const { dockerfile } of AGENTRY_IMAGES) {
      const stages = readDockerfile(path.join(root, dockerfile));
      const started = Date.now();
      const built = await steps.build(stages);
      const stage = stages.at(-1) as DockerfileStage;
      const [uid, gid] = (stage.user ?? "0:0").split(":").map(Number) as [number, number];
      images.set(dockerfile, { stage, built, uid, gid });
      const shared = stages.filter((_, index) => built[index]?.reused).map((s) => s.name ?? "image");
      console.log(
        `[images] ${dockerfile}: steps done in ${((Date.now() - started) / 1000).toFixed(1)} s` +
          (shared.length ? `; stages shared with an earlier Dockerfile: ${shared.join(", ")}` : ""),
      );
    }
    // Nothing in the trees is writable; the started processes also see their mounts read-only.
    execFileSync("chmod", ["-R", "a-w", scratch]);
  }, 900_000);

  afterAll(() => {
    if (!scratch) return;
    execFileSync("chmod", ["-R", "u+w", scratch]);
    rmSync(scratch, { recursive: true, force: true });
  });

  function imageOf(dockerfile: string): Image & { tree: string; app: string } {
    const image = images.get(dockerfile);
    if (!image) throw new Error(`${dockerfile} was not built`);
    const final = image.built.at(-1) as BuiltStage;
    return { ...image, tree: final.root, app: path.join(final.root, final.workdir) };
  }

  /** `docker run -e ...`: the image's ENV, PATH of the base image, HOME of uid 1000, plus `extra`. */
  function runOptions(dockerfile: string, extra: Record<string, string>): ReadOnlyProcessOptions {
    const image = imageOf(dockerfile);
    return {
      cwd: image.app,
      env: { PATH: basePath, HOME: home, ...image.stage.env, ...extra },
      uid: image.uid,
      gid: image.gid,
      readOnlyPaths: [image.tree, nodeBinary],
    };
  }

  it.each(AGENTRY_IMAGES)(
    "$dockerfile: the image holds the lockfile's production packages, no dev one, no sources",
    ({ dockerfile, entry }) => {
      const { app } = imageOf(dockerfile);
      // `dev: true` marks a package only devDependencies need (@types/node is not: a dependency needs it).
      const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
        packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
      };
      const installed = (name: string) => existsSync(path.join(app, name, "package.json"));
      const packages = Object.entries(lock.packages).filter(([name]) => name.startsWith("node_modules/"));
      const dev = packages.filter(([, entry]) => entry.dev || entry.devOptional).map(([name]) => name);
      const production = packages
        .filter(([, entry]) => !entry.dev && !entry.devOptional && !entry.optional)
        .map(([name]) => name);
      expect(dev.length).toBeGreaterThan(0);
      expect(dev.filter(installed)).toEqual([]);
      expect(production.filter((name) => !installed(name))).toEqual([]);
      for (const name of ["vitest", "typescript", "@biomejs/biome", "dockerfile-ast", "node"])
        expect(installed(`node_modules/${name}`), name).toBe(false);
      expect(readdirSync(app).sort()).toEqual(["dist", "node_modules", "package.json"]);
      expect(existsSync(path.join(app, entry))).toBe(true);
      const sources = readdirSync(path.join(app, "dist"), { recursive: true }).filter((file) =>
        String(file).endsWith(".ts"),
      );
      expect(sources).toEqual([]);
      const runtimeParts = readdirSync(path.join(app, "dist"), { recursive: true })
        .map(String)
        .filter((file) => file.startsWith("agent-runtime/") && file.endsWith(".js"));
      if (dockerfile === "Dockerfile.operator") {
        // The operator image holds the runtime's contract and no other runtime code.
        expect(runtimeParts.length).toBeGreaterThan(0);
        expect(runtimeParts.filter((file) => !file.startsWith("agent-runtime/contract/"))).toEqual([]);
      } else {
        expect(runtimeParts).toContain("agent-runtime/server.js");
      }
    },
  );

  it("the contained process runs as the image's USER, with no supplementary group and no capability", async () => {
    const result = await runReadOnly(
      [
        "node",
        "-e",
        'const s = require("node:fs").readFileSync("/proc/self/status", "utf8"); console.log([process.getuid(), process.getgid(), JSON.stringify(/Groups:(.*)/.exec(s)[1].trim()), /CapEff:\\s*(\\w+)/.exec(s)[1]].join(" "))',
      ],
      runOptions("Dockerfile.runtime", {}),
    );
    expect(result.code, result.output).toBe(0);
    expect(result.output.trim()).toBe('1000 1000 "" 0000000000000000');
  });

  it("the contained process can write neither the image's tree nor /tmp", async () => {
    const { app } = imageOf("Dockerfile.runtime");
    const attempt = (file: string) =>
      runReadOnly(
        [
          "node",
          "-e",
          `try { require("node:fs").writeFileSync(${JSON.stringify(file)}, "x"); } catch (e) { console.log(e.code); process.exit(3); }`,
        ],
        runOptions("Dockerfile.runtime", {}),
      );
    for (const file of [
      path.join(app, "written"),
      path.join(tmpdir(), `agentry-images-written-${process.pid}`),
    ]) {
      const result = await attempt(file);
      expect(result.code, result.output).toBe(3);
      expect(result.output.trim()).toMatch(/^(EROFS|EACCES)$/);
      expect(existsSync(file)).toBe(false);
    }
  });

  describe("Dockerfile.runtime", () => {
    let stub: StubModelServer;
    beforeAll(async () => {
      stub = await startStubModelServer();
    });
    afterAll(async () => {
      await stub?.close();
    });

    it("starts read-only as uid 1000, answers /livez, /readyz and a chat, passes its HEALTHCHECK, drains on SIGTERM", {
      timeout: 90_000,
    }, async () => {
      const port = String(await freeLoopbackPort());
      const options = runOptions("Dockerfile.runtime", {
        AGENTRY_PORT: port,
        AGENTRY_MODEL: "stub-model",
        AGENTRY_PROVIDER_BASE_URL: stub.url,
        AGENTRY_PROVIDER_API_KEY: "stub-key",
      });
      const { stage } = imageOf("Dockerfile.runtime");
      const runtime = startReadOnlyProcess(stage.cmd as string[], options);
      try {
        const livez = await waitForAnswer(`http://127.0.0.1:${port}/livez`, runtime.exited, runtime.output);
        expect(livez.status).toBe(200);
        const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(readyz.status, runtime.output()).toBe(200);
        const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
        });
        expect(chat.status, runtime.output()).toBe(200);
        const answer = (await chat.json()) as { choices: Array<{ message: { content: string } }> };
        expect(answer.choices[0]?.message.content).toBe("echo: hi");

        const check = await runReadOnly(stage.healthcheck?.command ?? [], options);
        expect(check.code, check.output).toBe(0);
      } finally {
        runtime.child.kill("SIGTERM");
      }
      expect(await runtime.exited).toEqual({ code: 0, signal: null });
      expect(runtime.output()).toContain("drained; exiting");
      expect(runtime.output()).not.toMatch(/EROFS|EACCES/);
    });

    it("fails its HEALTHCHECK when nothing answers", { timeout: 30_000 }, async () => {
      const { stage } = imageOf("Dockerfile.runtime");
      const port = String(await freeLoopbackPort());
      const check = await runReadOnly(
        stage.healthcheck?.command ?? [],
        runOptions("Dockerfile.runtime", { AGENTRY_PORT: port }),
      );
      expect(check.code).toBe(1);
    });
  });

  describe("Dockerfile.operator", () => {
    it("starts read-only as uid 1000 with an unreachable API server: live and passing its HEALTHCHECK, not ready", {
      timeout: 90_000,
    }, async () => {
      const [port, apiPort] = [String(await freeLoopbackPort()), await freeLoopbackPort()];
      // A kubeconfig as a mounted Secret would give it, aimed at a loopback port nothing listens on.
      const kubeconfig = path.join(tmpdir(), `agentry-images-kubeconfig-${process.pid}`);
      writeFileSync(
        kubeconfig,
        [
          "apiVersion: v1",
          "kind: Config",
          `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${apiPort}", insecure-skip-tls-verify: true}}]`,
          "users: [{name: u, user: {token: not-a-real-token}}]",
          "contexts: [{name: c, context: {cluster: c, user: u}}]",
          "current-context: c",
        ].join("\n"),
        { mode: 0o444 },
      );
      const options = runOptions("Dockerfile.operator", { AGENTRY_HTTP_PORT: port, KUBECONFIG: kubeconfig });
      const { stage } = imageOf("Dockerfile.operator");
      const operator = startReadOnlyProcess(stage.cmd as string[], options);
      try {
        const healthz = await waitForAnswer(
          `http://127.0.0.1:${port}/healthz`,
          operator.exited,
          operator.output,
        );
        expect(healthz.status).toBe(200);
        // Ready needs the API server and synced caches: honest 503 while neither is there.
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain("process_resident_memory_bytes");

        const check = await runReadOnly(stage.healthcheck?.command ?? [], options);
        expect(check.code, check.output).toBe(0);
      } finally {
        operator.child.kill("SIGTERM");
        rmSync(kubeconfig, { force: true });
      }
      const exit = await operator.exited;
      expect(exit.code === 0 || exit.signal === "SIGTERM", JSON.stringify(exit)).toBe(true);
      expect(operator.output()).toContain("operator starting");
      expect(operator.output()).not.toMatch(/EROFS|EACCES/);
    });

    it("without a kubeconfig or a service account, exits 1 saying so", { timeout: 30_000 }, async () => {
      const { stage } = imageOf("Dockerfile.operator");
      expect(existsSync("/var/run/secrets/kubernetes.io/serviceaccount/token")).toBe(false);
      const result = await runReadOnly(
        stage.cmd as string[],
        runOptions("Dockerfile.operator", { AGENTRY_HTTP_PORT: String(await freeLoopbackPort()) }),
      );
      expect(result.code).toBe(1);
      expect(result.output).toContain("no kubeconfig: set KUBECONFIG");
    });
  });
});
