import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KubeConfigError, loadKubeConfig } from "../../../operator/kube/kube-config.ts";

describe("loadKubeConfig", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("refuses to start without any kubeconfig rather than aim at localhost:8080", () => {
    vi.stubEnv("KUBECONFIG", "");
    vi.stubEnv("HOME", mkdtempSync(path.join(tmpdir(), "no-kube-")));
    expect(() => loadKubeConfig()).toThrow(KubeConfigError);
  });

  it("names the file it could not read", () => {
    vi.stubEnv("KUBECONFIG", "/nonexistent/kubeconfig");
    expect(() => loadKubeConfig()).toThrow(/nonexistent\/kubeconfig/);
  });
});
