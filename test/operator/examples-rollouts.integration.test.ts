// examples/canary.yaml and examples/blue-green.yaml run through on the local plane with kubectl
// alone: apply, change the model, follow the status, act with annotations.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { REPO_ROOT } from "../support/cluster-env.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";

describeWithCluster("examples: canary and blue-green with kubectl alone", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "examples");
  const kubectl = (args: string[], input?: string) => cluster.kubectl([...args, "-n", ns.name], input);
  const example = (file: string) => readFileSync(path.join(REPO_ROOT, "examples", file), "utf8");
  const status = async () => (await agents.agent("support-bot")).status;
  const setModel = (model: string) =>
    kubectl([
      "patch",
      "agd",
      "support-bot",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { agent: { model } } }),
    ]);

  it("examples/canary.yaml: every step, promoted past the pauses and the analysis, to Healthy", async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applySecret("redis", { url: "redis://redis:6379" });
    await kubectl(["apply", "-f", "-"], example("canary.yaml"));
    await agents.waitReady("support-bot");
    const stable = (await status())?.stableRevision;

    await setModel("gpt-4o");
    // Step 2: pause 5m, at 10% of 10 pods.
    await eventually(async () => (await status())?.canary?.currentStepIndex === 1, 60_000);
    expect(await status()).toMatchObject({ phase: "Paused", canary: { weight: 10 } });
    await agents.annotate("support-bot", "promote");
    // Step 3: the analysis; without a Prometheus it cannot pass, so promote past it.
    await eventually(async () => (await status())?.canary?.currentStepIndex === 2, 30_000);
    expect((await status())?.message).toContain("canary step 3/5 (analysis)");
    await agents.annotate("support-bot", "promote");
    // Step 5: pause until promoted, at 50%.
    await eventually(async () => (await status())?.canary?.currentStepIndex === 4, 60_000);
    expect(await status()).toMatchObject({ phase: "Paused", canary: { weight: 50 } });
    await agents.annotate("support-bot", "promote");
    await eventually(async () => {
      const current = await status();
      return current?.phase === "Healthy" && current.stableRevision !== stable;
    }, 60_000);
    await kubectl(["delete", "agd", "support-bot", "--wait=true"]);
  });

  it("examples/blue-green.yaml: the preview waits for a promote, then takes over", async () => {
    await kubectl(["apply", "-f", "-"], example("blue-green.yaml"));
    await agents.waitReady("support-bot");
    const blue = (await status())?.stableRevision ?? "";
    await setModel("gpt-4o");
    await eventually(
      async () => (await status())?.message?.includes("pre-promotion analysis") === true,
      60_000,
    );
    expect((await agents.serviceSelector("support-bot"))["agentry.dev/revision"]).toBe(blue);
    // promote-full skips the pre-promotion analysis, which has no Prometheus to read here.
    await agents.annotate("support-bot", "promote-full");
    await eventually(async () => {
      const current = await status();
      return current?.phase === "Healthy" && current.stableRevision !== blue;
    }, 90_000);
    const green = (await status())?.stableRevision ?? "";
    expect((await agents.serviceSelector("support-bot"))["agentry.dev/revision"]).toBe(green);
  });
});
