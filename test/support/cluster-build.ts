import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ComponentName, SourceInfo } from "./cluster-components.ts";
import { COMPONENTS, componentDir, componentVersion, moduleDir } from "./cluster-components.ts";
import type { ClusterEnv } from "./cluster-env.ts";
import { runChecked } from "./cluster-exec.ts";

export interface BuildResult {
  name: ComponentName;
  dir: string;
  skipped: boolean;
  seconds: number;
}

export type Log = (line: string) => void;

/** The environment every `go` command of the harness runs with. */
export function goEnv(): NodeJS.ProcessEnv {
  const goflags = process.env.GOFLAGS ?? "";
  return {
    ...process.env,
    // The modules live inside this repository's git checkout; stamping its VCS state into
    // the binaries would make them depend on uncommitted changes elsewhere.
    GOFLAGS: goflags.includes("-buildvcs") ? goflags : `${goflags} -buildvcs=false`.trim(),
  };
}

export interface ModuleDownload {
  Dir: string;
  Info: string;
  Version: string;
}

/** `go mod download -json module@version`: fetches a module into the module cache. */
export async function downloadModule(module: string, version: string): Promise<ModuleDownload> {
  const { stdout } = await runChecked("go", ["mod", "download", "-json", `${module}@${version}`], {
    cwd: tmpdir(),
    env: goEnv(),
  });
  return JSON.parse(stdout) as ModuleDownload;
}

async function sourceInfo(name: ComponentName): Promise<SourceInfo> {
  const version = componentVersion(name);
  const download = await downloadModule(COMPONENTS[name].mainModule, version);
  const info = JSON.parse(await readFile(download.Info, "utf8")) as { Time?: string };
  const goMod = await readFile(path.join(moduleDir(name), "go.mod"), "utf8");
  return { version, time: info.Time ?? "1970-01-01T00:00:00Z", goMod };
}

function formatSeconds(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0
    ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`
    : `${seconds.toFixed(1)}s`;
}

export { formatSeconds };

/**
 * Builds one component's binaries with `go build` inside its module directory, into a fresh
 * temporary directory renamed into place at the end, so a half-finished build is never used.
 */
export async function buildComponent(env: ClusterEnv, name: ComponentName, log: Log): Promise<BuildResult> {
  const spec = COMPONENTS[name];
  const dir = componentDir(env, name);
  const binaries = Object.keys(spec.binaries);
  const started = performance.now();
  if (binaries.every((binary) => existsSync(path.join(dir, binary)))) {
    log(`${name}: cached in ${dir}`);
    return { name, dir, skipped: true, seconds: 0 };
  }

  const cwd = moduleDir(name);
  log(`${name}: resolving ${spec.mainModule}@${componentVersion(name)} and its packages`);
  const source = await sourceInfo(name);
  const packages = Object.values(spec.binaries);
  const deps = await runChecked("go", ["list", "-deps", ...packages], { cwd, env: goEnv() });
  const total = deps.stdout.trim().split("\n").length;

  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  log(
    `${name}: building ${binaries.join(", ")} (${total} packages, compiled ones are listed as they finish)`,
  );

  let compiled = 0;
  const ticker = setInterval(() => {
    const elapsed = formatSeconds((performance.now() - started) / 1000);
    log(`${name}: ${elapsed}, ${compiled} of at most ${total} packages compiled`);
  }, 20_000);
  try {
    const ldflags = ["-s", "-w", ...spec.ldflags(source)].join(" ");
    const tags = spec.tags ? ["-tags", spec.tags.join(",")] : [];
    // One package may go to a file of any name; several go into a directory under their own names.
    const output = binaries.length === 1 ? path.join(tmp, binaries[0] ?? "") : `${tmp}/`;
    await runChecked("go", ["build", "-v", ...tags, "-ldflags", ldflags, "-o", output, ...packages], {
      cwd,
      env: goEnv(),
      onStderr: (chunk) => {
        compiled += chunk.split("\n").filter((line) => line.trim() !== "").length;
      },
    });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    clearInterval(ticker);
  }

  // `go build -o dir/` names each binary after its package's import path; a recipe whose names
  // differ would otherwise leave a directory that looks built and lacks the binary.
  const absent = binaries.filter((binary) => !existsSync(path.join(tmp, binary)));
  if (absent.length > 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`${name}: go build produced no ${absent.join(", ")} (named after the package path)`);
  }

  const seconds = (performance.now() - started) / 1000;
  const meta = { component: name, ...source, goMod: undefined, seconds, builtAt: new Date().toISOString() };
  await writeFile(path.join(tmp, "build.json"), `${JSON.stringify(meta, null, 2)}\n`);
  if (existsSync(dir)) {
    // Another build finished first; its binaries come from the same sources.
    await rm(tmp, { recursive: true, force: true });
  } else {
    await rename(tmp, dir);
  }
  log(`${name}: built in ${formatSeconds(seconds)} -> ${dir}`);
  return { name, dir, skipped: false, seconds };
}
