import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ClusterEnv } from "./cluster-env.ts";
import { REPO_ROOT } from "./cluster-env.ts";

export const GO_MODULES_DIR = path.join(REPO_ROOT, "test", "cluster", "go");

/**
 * Bumped when the build recipe below changes (flags, ldflags), so binaries built by an older
 * recipe are not mistaken for current ones.
 */
const RECIPE_REVISION = "1";

export type ComponentName =
  | "etcd"
  | "kubernetes"
  | "kwok"
  | "helm"
  | "helm3"
  | "lua"
  | "kstatus"
  | "prometheus";
/** What `npm run cluster:build` builds: the control plane's parts, then the test tools. */
export const COMPONENT_NAMES: readonly ComponentName[] = [
  "etcd",
  "kubernetes",
  "kwok",
  "helm",
  "helm3",
  "lua",
  "kstatus",
  "prometheus",
];
/** The components whose binaries the control plane runs (the others only run in tests and the demo). */
export const PLANE_COMPONENT_NAMES: readonly ComponentName[] = [
  "etcd",
  "kubernetes",
  "kwok",
  "helm",
  "helm3",
];

/** What the ldflags of a component may need to know about the source it is built from. */
export interface SourceInfo {
  /** Version of the component's main module, e.g. v1.36.3. */
  version: string;
  /** Commit time of that version (from the module proxy), used as a reproducible build date. */
  time: string;
  /** The component's go.mod text, for versions of other modules it pins. */
  goMod: string;
}

export interface ComponentSpec {
  name: ComponentName;
  /** The module whose version names the component. */
  mainModule: string;
  /**
   * Binary name -> package to build (relative to the component's module directory). Several
   * binaries of one component must be named after their package paths (one `go build -o dir/`);
   * a component's only binary may be named freely.
   */
  binaries: Record<string, string>;
  ldflags(source: SourceInfo): string[];
  /** Go build tags. */
  tags?: string[];
}

export const COMPONENTS: Record<ComponentName, ComponentSpec> = {
  etcd: {
    name: "etcd",
    mainModule: "go.etcd.io/etcd/server/v3",
    binaries: { etcd: "." },
    // etcd's Version is a constant, so `etcd --version` is true without ldflags; its only
    // variable is the git SHA, which the module proxy does not know.
    ldflags: () => [],
  },
  kubernetes: {
    name: "kubernetes",
    mainModule: "k8s.io/kubernetes",
    binaries: {
      "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
      "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
      "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
      kubectl: "k8s.io/kubernetes/cmd/kubectl",
    },
    ldflags: (source) => kubernetesVersionFlags(source.version, source.time),
  },
  kwok: {
    name: "kwok",
    mainModule: "sigs.k8s.io/kwok",
    binaries: { kwok: "sigs.k8s.io/kwok/cmd/kwok" },
    // Same variables as kwok's hack/releases.sh; the version there has no leading "v".
    ldflags: (source) => [
      "-X",
      `sigs.k8s.io/kwok/pkg/consts.Version=${source.version.replace(/^v/, "")}`,
      "-X",
      "sigs.k8s.io/kwok/pkg/consts.BinaryName=kwok",
    ],
  },
  helm: {
    name: "helm",
    mainModule: "helm.sh/helm/v4",
    binaries: { helm: "helm.sh/helm/v4/cmd/helm" },
    // Same variables as helm's Makefile for a tagged release. Helm 4 has no Kubernetes version
    // variables: `helm template` derives its Kubernetes version from the client-go in the build info.
    ldflags: (source) => helmVersionFlags("helm.sh/helm/v4", source.version),
  },
  helm3: {
    name: "helm3",
    mainModule: "helm.sh/helm/v3",
    // Named helm3 so it sits next to Helm 4's helm on one plane (its field manager stays "helm").
    binaries: { helm3: "helm.sh/helm/v3/cmd/helm" },
    // As helm's v3 Makefile, including the Kubernetes version that `helm template` assumes,
    // derived from the client-go it is built with.
    ldflags: (source) => {
      const clientGo = requiredVersion(source.goMod, "k8s.io/client-go");
      const [, minor] = /^v0\.(\d+)\./.exec(clientGo) ?? [];
      const k8s = minor === undefined ? [] : helmKubeVersionFlags("1", minor);
      return [...helmVersionFlags("helm.sh/helm/v3", source.version), ...k8s];
    },
  },
  lua: {
    name: "lua",
    mainModule: "github.com/yuin/gopher-lua",
    // Runs argocd-cm health and action scripts as Argo CD does (test/support/argocd-lua.ts).
    binaries: { "argocd-lua": "." },
    ldflags: () => [],
  },
  kstatus: {
    name: "kstatus",
    mainModule: "sigs.k8s.io/cli-utils",
    // Prints kstatus' verdict (Flux, Helm 4 --wait) for objects on stdin (test/support/kstatus.ts).
    binaries: { kstatus: "." },
    ldflags: () => [],
  },
  prometheus: {
    name: "prometheus",
    mainModule: "github.com/prometheus/prometheus",
    // The analysis tests, the chart's alert and PromQL tests and the demo; built here so that a
    // machine with only Node and Go runs them (the Debian package is not needed).
    binaries: {
      prometheus: "github.com/prometheus/prometheus/cmd/prometheus",
      promtool: "github.com/prometheus/prometheus/cmd/promtool",
    },
    // Same variables as Prometheus' .promu.yml; the module's v0.3xx.y is Prometheus 3.xx.y.
    ldflags: (source) => {
      const version = prometheusVersion(source.version);
      return [
        ["Version", version],
        ["Revision", ""],
        ["Branch", ""],
        ["BuildUser", "agentry"],
        ["BuildDate", source.time],
      ].flatMap(([key, value]) => ["-X", `github.com/prometheus/common/version.${key}=${value}`]);
    },
    // Without the web UI's assets (only the HTTP API is used) and with only the static, file and
    // HTTP service discoveries: a third of the packages of a default build.
    tags: ["remove_all_sd"],
  },
};

/** Prometheus publishes its Go module as v0.<major><minor>.<patch>: v0.316.0 is Prometheus 3.16.0. */
export function prometheusVersion(moduleVersion: string): string {
  const match = /^v0\.(\d)(\d{2})\.(\d+)$/.exec(moduleVersion);
  if (!match) throw new Error(`unexpected Prometheus module version ${moduleVersion}`);
  return `${match[1]}.${Number(match[2])}.${match[3]}`;
}

function kubernetesVersionFlags(version: string, time: string): string[] {
  const match = /^v(\d+)\.(\d+)\./.exec(version);
  if (!match) throw new Error(`unexpected Kubernetes version ${version}`);
  const values: Record<string, string> = {
    gitVersion: version,
    gitMajor: match[1] ?? "",
    gitMinor: match[2] ?? "",
    // The module proxy serves no commit for a version; an empty value is honest, the default
    // "$Format:%H$" placeholder is not.
    gitCommit: "",
    gitTreeState: "clean",
    buildDate: time,
  };
  // kube's own hack/lib/version.sh sets both packages.
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) =>
    Object.entries(values).flatMap(([key, value]) => ["-X", `${pkg}.${key}=${value}`]),
  );
}

function helmVersionFlags(module: string, version: string): string[] {
  return [
    "-X",
    `${module}/internal/version.version=${version}`,
    "-X",
    `${module}/internal/version.metadata=`,
    "-X",
    `${module}/internal/version.gitTreeState=clean`,
  ];
}

function helmKubeVersionFlags(major: string, minor: string): string[] {
  return ["helm.sh/helm/v3/pkg/lint/rules", "helm.sh/helm/v3/pkg/chartutil"].flatMap((pkg) => [
    "-X",
    `${pkg}.k8sVersionMajor=${major}`,
    "-X",
    `${pkg}.k8sVersionMinor=${minor}`,
  ]);
}

/** The version a go.mod requires for a module (first match, `require` lines only). */
export function requiredVersion(goMod: string, module: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, "m").exec(goMod);
  if (!match?.[1]) throw new Error(`go.mod does not require ${module}`);
  return match[1];
}

export function moduleDir(name: ComponentName): string {
  return path.join(GO_MODULES_DIR, name);
}

/**
 * Short hash of the files that decide what a component's binaries are: go.mod, go.sum, main.go,
 * then any other Go file of the module directory (in name order).
 */
export function sourceHash(name: ComponentName): string {
  const hash = createHash("sha256").update(`recipe ${RECIPE_REVISION}\n`);
  const otherGoFiles = readdirSync(moduleDir(name))
    .filter((file) => file.endsWith(".go") && file !== "main.go")
    .sort();
  for (const file of ["go.mod", "go.sum", "main.go", ...otherGoFiles]) {
    const full = path.join(moduleDir(name), file);
    hash.update(`${file}\n`);
    if (existsSync(full)) hash.update(readFileSync(full));
  }
  return hash.digest("hex").slice(0, 12);
}

export function componentVersion(name: ComponentName): string {
  const goMod = readFileSync(path.join(moduleDir(name), "go.mod"), "utf8");
  return requiredVersion(goMod, COMPONENTS[name].mainModule);
}

/** Where the binaries of a component built from the current go.mod/go.sum/main.go live. */
export function componentDir(env: ClusterEnv, name: ComponentName): string {
  return path.join(env.binariesDir, `${name}-${componentVersion(name)}-${sourceHash(name)}`);
}

export type BinaryName =
  | "etcd"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kubectl"
  | "kwok"
  | "helm"
  | "helm3";

export type Binaries = Record<BinaryName, string>;

export interface BinaryLookup {
  binaries: Partial<Binaries>;
  missing: string[];
}

/**
 * Finds the control plane's binaries built from the current sources; lists what is missing
 * instead of throwing.
 */
export function findBinaries(env: ClusterEnv): BinaryLookup {
  const binaries: Partial<Binaries> = {};
  const missing: string[] = [];
  for (const name of PLANE_COMPONENT_NAMES) {
    const dir = componentDir(env, name);
    for (const binary of Object.keys(COMPONENTS[name].binaries)) {
      const file = path.join(dir, binary);
      if (existsSync(file)) binaries[binary as BinaryName] = file;
      else missing.push(file);
    }
  }
  return { binaries, missing };
}

export function requireBinaries(env: ClusterEnv): Binaries {
  const { binaries, missing } = findBinaries(env);
  if (missing.length > 0) {
    throw new Error(
      `control plane binaries are missing (run \`npm run cluster:build\`):\n  ${missing.join("\n  ")}`,
    );
  }
  return binaries as Binaries;
}
