import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, it } from "vitest";
import { AgentClient } from "../../../operator/cli/plugin/agent-client.ts";
import type { PluginIo } from "../../../operator/cli/plugin/plugin-io.ts";
import { statusCommand } from "../../../operator/cli/plugin/status-command.ts";
import { KubeApi } from "../../../operator/kube/kube-api.ts";
import { kubeConfigFromFile } from "../../../operator/kube/kube-config.ts";
import { describeWithCluster, eventually, useTestNamespace } from "../../support/cluster.ts";
import { readAdminKubeconfig, writeKubeconfigFile } from "../../support/kubeconfig-file.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { agentCluster, useOperator } from "../agent-cluster.ts";
import { agentManifest, openaiKey, secretManifest } from "../agent-manifests.ts";
import { PLUGIN_ENTRY, pluginPath, runPlugin, runThroughKubectl } from "./plugin-runner.ts";

describeWithCluster("kubectl agentry: rollouts driven by the plugin on a real control plane", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "plugin");
  const env = () => ({ KUBECONFIG: cluster.kubeconfig });
  const plugin = (...args: string[]) => runPlugin([...args, "-n", ns.name], env());
  const kubectlAgentry = (...args: string[]) =>
    runThroughKubectl(cluster.binaries.kubectl, [...args, "-n", ns.name], env());
  const status = async (name: string) => (await agents.agent(name)).status;
  const spec = (model: string, steps: unknown[]) => ({
    replicas: 4,
    agent: { model, provider: openaiKey },
    strategy: { type: "Canary", canary: { steps } },
  });
  /** A canary to 25%, a timed pause, 50%, a timed pause: it moves through several views by itself. */
  const timedCanary = (pause: string) => [
    { setWeight: 25 },
    { pause: { duration: pause } },
    { setWeight: 50 },
    { pause: { duration: pause } },
  ];
  const byHand = [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];
  const atStep = (name: string, index: number) =>
    eventually(async () => {
      const current = await status(name);
      return current?.phase === "Paused" && current.canary?.currentStepIndex === index && !current.aborted;
    }, 60_000);

  it("lists agents and shows a settled agent's status through kubectl, which finds the plugin on PATH", async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applyAgent("bot", spec("gpt-4o-mini", byHand));
    await agents.waitReady("bot");

    const list = await runThroughKubectl(cluster.binaries.kubectl, ["list"], env());
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /NAMESPACE\s+NAME\s+STRATEGY\s+PHASE\s+READY\s+STEP\s+WEIGHT\s+STABLE\s+UPDATE\s+AGE/,
    );
    const stable = (await status("bot"))?.stableRevision ?? "";
    expect(list.stdout).toMatch(
      new RegExp(`${ns.name}\\s+bot\\s+Canary\\s+Healthy\\s+4/4\\s+4/4\\s+100%\\s+${stable}\\s+${stable}`),
    );

    const shown = await kubectlAgentry("status", "bot");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("Strategy:    Canary: setWeight 25 -> pause -> setWeight 50 -> pause");
    expect(shown.stdout).toContain("Phase:       Healthy");
    expect(shown.stdout).toContain("Step:        4/4 done");
    expect(shown.stdout).toContain("Weight:      100%");
    expect(shown.stdout).toMatch(
      new RegExp(`${stable}\\s+stable\\s+4/4\\s+ghcr.io/agentry/agent-runtime:test\\s+gpt-4o-mini`),
    );
    expect(shown.stdout).toMatch(new RegExp(`0\\s+${stable}\\s+Promoted\\s+\\S+\\s+gpt-4o-mini`));
  });

  it("drives a canary with promote, pause, resume, abort, retry and promote --full", async () => {
    const refused = await plugin("promote", "bot");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /no rollout of bot is in progress: revision \w+ serves all traffic; nothing was changed/,
    );

    const stable = (await status("bot"))?.stableRevision ?? "";
    await agents.applyAgent("bot", spec("gpt-4o", byHand));
    await atStep("bot", 1);
    const update = (await status("bot"))?.updateRevision ?? "";
    const paused = await plugin("status", "bot");
    expect(paused.stdout).toContain("Phase:       Paused");
    expect(paused.stdout).toContain("Step:        2/4 (pause)");
    expect(paused.stdout).toContain("Weight:      25%");
    expect(paused.stdout).toMatch(new RegExp(`${update}\\s+canary\\s+\\d/1\\s+\\S+\\s+gpt-4o\\n`));
    expect(paused.stdout).toMatch(new RegExp(`${stable}\\s+stable\\s+\\d/3\\s+\\S+\\s+gpt-4o-mini`));

    const promoted = await plugin("promote", "bot");
    expect(promoted).toMatchObject({ code: 0, stderr: "" });
    expect(promoted.stdout).toContain(
      "agentdeployments.agentry.dev/bot: promote requested (annotation agentry.dev/promote)",
    );
    await atStep("bot", 3);
    expect((await agents.agent("bot")).metadata.annotations?.["agentry.dev/promote"]).toBeUndefined();

    expect((await plugin("pause", "bot")).stdout).toContain("paused (spec.paused: true)");
    expect((await agents.agent("bot")).spec.paused).toBe(true);
    await eventually(async () =>
      (await plugin("status", "bot")).stdout.includes("Paused:      spec.paused is true"),
    );
    const heldPromote = await plugin("promote", "bot");
    expect(heldPromote.stdout).toContain(
      "spec.paused is true, so it waits until `kubectl agentry resume bot`",
    );
    expect((await plugin("resume", "bot")).stdout).toContain("resumed (spec.paused: false)");
    expect((await agents.agent("bot")).spec.paused).toBe(false);
    // The promote held while paused goes through now: step 4/4 is passed and the canary finishes.
    await agents.waitReady("bot");
    expect((await status("bot"))?.stableRevision).toBe(update);

    // A new model, then abort: status -w stops at once with exit 1, as the rollout is Degraded.
    await agents.applyAgent("bot", spec("gpt-4.1", byHand));
    await atStep("bot", 1);
    expect((await plugin("abort", "bot")).code).toBe(0);
    await eventually(async () => (await status("bot"))?.phase === "Degraded", 30_000);
    const watchedAbort = await plugin("status", "bot", "-w");
    expect(watchedAbort.code).toBe(1);
    expect(watchedAbort.stdout).toContain("Aborted:     aborted by the agentry.dev/abort annotation");
    expect(watchedAbort.stdout).toMatch(/rollout settled: Degraded: rollout of revision \w+ aborted/);
    expect((await plugin("abort", "bot")).stderr).toContain("the rollout of bot is already aborted");

    expect((await plugin("retry", "bot")).code).toBe(0);
    await atStep("bot", 1);
    const full = await plugin("promote", "bot", "--full");
    expect(full.stdout).toContain("full promotion requested (annotation agentry.dev/promote-full)");
    await agents.waitReady("bot");
    expect((await status("bot"))?.history?.[0]).toMatchObject({ outcome: "Promoted" });
    expect((await plugin("retry", "bot")).stderr).toContain("the rollout of bot is not aborted");
  });

  it("undo sets image and model back to a history entry and says exactly what it changed", async () => {
    const history = (await status("bot"))?.history ?? [];
    expect(history.slice(0, 3).map((entry) => entry.outcome)).toEqual(["Promoted", "Promoted", "Promoted"]);
    const undone = await kubectlAgentry("undo", "bot", "--to-revision", "2");
    expect(undone.stderr).toBe("");
    expect(undone.stdout).toContain(
      `back to the image and model of history entry 2 (revision ${history[2]?.revision}`,
    );
    expect(undone.stdout).toContain("  spec.agent.model: gpt-4.1 -> gpt-4o-mini");
    expect(undone.stdout).not.toContain("  spec.image:");
    expect(undone.stdout).toContain("Only spec.image and spec.agent.model were changed");
    expect((await agents.agent("bot")).spec).toMatchObject({ agent: { model: "gpt-4o-mini" } });
    await atStep("bot", 1);
    // Nothing but the model differed, so the old revision's hash comes back.
    expect((await status("bot"))?.updateRevision).toBe(history[2]?.revision);
    await plugin("promote", "bot", "--full");
    await agents.waitReady("bot");

    const same = await plugin("undo", "bot", "--to-revision", "3");
    expect(same.code).toBe(1);
    expect(same.stderr).toContain("has the image and model the spec asks for already");
    const beyond = await plugin("undo", "bot", "--to-revision", "40");
    expect(beyond.stderr).toMatch(/status.history of bot has entries 0 to \d+; there is no entry 40/);
  });

  it("restart asks for new pods through the annotation", async () => {
    const restarted = await plugin("restart", "bot");
    expect(restarted.code).toBe(0);
    await eventually(
      async () => ((await status("bot")) as { restartedAt?: string } | undefined)?.restartedAt !== undefined,
      30_000,
    );
    expect((await agents.agent("bot")).metadata.annotations?.["agentry.dev/restart"]).toBeUndefined();
  });

  it("renders offline the same Deployment revision the operator created in the cluster", async () => {
    const manifest = [
      secretManifest("openai", { "api-key": "sk-test-1" }),
      agentManifest("rendered", spec("gpt-4o-mini", byHand)),
    ].join("\n---\n");
    await agents.applyAgent("rendered", spec("gpt-4o-mini", byHand));
    await agents.waitReady("rendered");
    const rendered = await runPlugin(
      ["render", "-", "-n", ns.name, "--default-image", "ghcr.io/agentry/agent-runtime:test"],
      {},
      manifest,
    );
    expect(rendered.stderr).toBe("");
    expect(rendered.code).toBe(0);
    const revision = (await status("rendered"))?.updateRevision ?? "";
    expect(rendered.stdout).toContain(
      `# Source: <stdin>, AgentDeployment rendered -> Deployment rendered-${revision}`,
    );
    const live = (await agents.deployments("rendered")).find(
      (deployment) => deployment.metadata.name === `rendered-${revision}`,
    );
    expect(live?.metadata.labels["agentry.dev/revision"]).toBe(revision);
  });

  it("follows a blue-green rollout to its wait for promotion, then promotes it", async () => {
    const blueGreen = (model: string) => ({
      replicas: 2,
      agent: { model, provider: openaiKey },
      strategy: { type: "BlueGreen", blueGreen: { autoPromotionEnabled: false, scaleDownDelaySeconds: 0 } },
    });
    await agents.applyAgent("bg", blueGreen("gpt-4o-mini"));
    await agents.waitReady("bg");
    const active = (await status("bg"))?.stableRevision ?? "";
    await agents.applyAgent("bg", blueGreen("gpt-4o"));
    const watched = await plugin("status", "bg", "-w");
    expect(watched.stderr).toBe("");
    expect(watched.code).toBe(0);
    const preview = (await status("bg"))?.updateRevision ?? "";
    expect(watched.stdout).toContain("Strategy:    BlueGreen (promote by hand)");
    expect(watched.stdout).toContain(`Active:      ${active}`);
    expect(watched.stdout).toContain(`Preview:     ${preview}`);
    expect(watched.stdout).toMatch(new RegExp(`${preview}\\s+preview\\s+2/2\\s+\\S+\\s+gpt-4o\\n`));
    expect(watched.stdout).toMatch(
      /rollout settled: Paused: .*waiting for promotion \(annotate agentry.dev\/promote\)/,
    );
    expect((await plugin("promote", "bg")).code).toBe(0);
    const done = await plugin("status", "bg", "-w");
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("rollout settled: Healthy");
    expect((await status("bg"))?.stableRevision).toBe(preview);
  });

  /** A Ready agent on gpt-4o-mini, then a rollout to gpt-4o through `steps`. */
  const startRollout = async (name: string, steps: unknown[]) => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applyAgent(name, spec("gpt-4o-mini", steps));
    await agents.waitReady(name);
    await agents.applyAgent(name, spec("gpt-4o", steps));
  };

  /** `status NAME -w` as its own process, reaching the plane through a loopback proxy a test may close. */
  const watchThroughProxy = async (name: string) => {
    const upstream = new URL(cluster.server);
    const target = { host: upstream.hostname, port: Number(upstream.port) };
    const proxy = await startTcpProxy(target);
    const { caData, certData, keyData } = readAdminKubeconfig(cluster.kubeconfig);
    const kubeconfig = writeKubeconfigFile({
      cluster: { server: `https://127.0.0.1:${proxy.port}`, "certificate-authority-data": caData },
      user: { "client-certificate-data": certData, "client-key-data": keyData },
    });
    const child = spawn(PLUGIN_ENTRY, ["status", name, "-w", "-n", ns.name], {
      env: { PATH: pluginPath().PATH, KUBECONFIG: kubeconfig },
    });
    const output = { stdout: "", stderr: "" };
    child.stdout.on("data", (chunk: Buffer) => {
      output.stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    return { child, output, exited, proxy, target };
  };

  it("keeps watching through an API server outage and still ends when the rollout settles", async () => {
    const timed = [{ setWeight: 25 }, { pause: { duration: "6s" } }];
    await startRollout("flaky", timed);
    const { child, output, exited, proxy, target } = await watchThroughProxy("flaky");
    let reopened: TcpProxy | undefined;
    try {
      await eventually(async () => output.stdout.includes("Name:"), 20_000);
      await proxy.close();
      await eventually(async () => output.stderr.includes("lost the API server"), 20_000);
      reopened = await startTcpProxy(target, proxy.port);
      expect(await exited).toBe(0);
    } finally {
      child.kill();
      await (reopened ?? proxy).close();
    }
    // Said once for the outage, however many times the watches were retried.
    expect(output.stderr).toMatch(/^lost the API server \(.*\); trying again\n$/);
    expect(output.stdout).toContain("rollout settled: Healthy");
  });

  it("gives up with a clear error 30 s into an outage that does not end", { timeout: 120_000 }, async () => {
    const long = [{ setWeight: 25 }, { pause: { duration: "10m" } }];
    await startRollout("gone", long);
    const { child, output, exited, proxy } = await watchThroughProxy("gone");
    try {
      await eventually(async () => output.stdout.includes("Name:"), 20_000);
      await proxy.close();
      const closedAt = Date.now();
      expect(await exited).toBe(1);
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(30_000);
    } finally {
      child.kill();
    }
    expect(output.stderr).toMatch(
      new RegExp(
        `^lost the API server \\(.*\\); trying again\nerror: cannot reach the Kubernetes API server at https://127.0.0.1:${proxy.port} .*ECONNREFUSED`,
      ),
    );
  });

  it("follows a rollout by watching: one list of each kind, then every change arrives on the watches", async () => {
    const timed = timedCanary("3s");
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applyAgent("counted", spec("gpt-4o-mini", timed));
    await agents.waitReady("counted");
    // The command runs in this process on a client whose request observer (the hook behind the
    // operator's agentry_kube_requests_total) records every request it sends to the plane.
    const requests: string[] = [];
    const api = new KubeApi(kubeConfigFromFile(cluster.kubeconfig), {
      observe: (verb, resource) => requests.push(`${verb} ${resource}`),
    });
    const connection = {
      api,
      namespace: ns.name,
      namespaceGiven: true,
      context: "plane",
      server: cluster.server,
    };
    let stdout = "";
    let stderr = "";
    const io: PluginIo = {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      isTty: false,
      readFile: () => "",
      readStdin: () => "",
      now: () => new Date(),
      signal: new AbortController().signal,
    };
    await agents.applyAgent("counted", spec("gpt-4o", timed));
    let code: number;
    try {
      code = await statusCommand(new AgentClient(connection), "counted", true, io);
    } finally {
      api.close();
    }
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("rollout settled: Healthy");
    const weights = [...stdout.matchAll(/^Weight:\s+(\d+)%/gm)].map((match) => match[1]);
    expect(weights).toEqual(expect.arrayContaining(["25", "50", "100"]));
    // The rollout took seconds and many views; the plugin asked for each kind once, then watched.
    expect(requests.sort()).toEqual([
      "list agentdeployments",
      "list deployments",
      "watch agentdeployments",
      "watch deployments",
    ]);
  });

  it("stops quietly on Ctrl-C (exit 0); says so when the agent is deleted while watched (exit 1)", async () => {
    const long = [{ setWeight: 25 }, { pause: { duration: "10m" } }];
    await startRollout("doomed", long);
    const interrupted = await watchThroughProxy("doomed");
    try {
      await eventually(async () => interrupted.output.stdout.includes("Name:        doomed"), 20_000);
      interrupted.child.kill("SIGINT");
      expect(await interrupted.exited).toBe(0);
    } finally {
      interrupted.child.kill();
      await interrupted.proxy.close();
    }
    expect(interrupted.output.stderr).toBe("");
    // Through a proxy that stays open: the test reads the output while the command runs.
    const { child, output, exited, proxy } = await watchThroughProxy("doomed");
    try {
      await eventually(async () => output.stdout.includes("Name:        doomed"), 20_000);
      await cluster.kubectl(["delete", "agd", "doomed", "-n", ns.name, "--wait=false"]);
      expect(await exited).toBe(1);
    } finally {
      child.kill();
      await proxy.close();
    }
    expect(output.stderr).toBe(`error: agentdeployment doomed was deleted from namespace ${ns.name}\n`);
  });

  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const socket = `agentry-plugin-${randomBytes(4).toString("hex")}`;
  afterAll(() => {
    try {
      tmux("kill-server");
    } catch {
      // no server was started
    }
  });

  it("redraws `status -w` in a terminal as the canary moves, and ends when it settles", async () => {
    const timed = timedCanary("4s");
    await agents.applyAgent("watched", spec("gpt-4o-mini", timed));
    await agents.waitReady("watched");
    await agents.applyAgent("watched", spec("gpt-4o", timed));

    // The shell in tmux finds the plane's kubectl and, through it, the plugin.
    const PATH = `${path.dirname(cluster.binaries.kubectl)}${path.delimiter}${pluginPath().PATH}`;
    tmux("new-session", "-d", "-s", "plugin", "-x", "120", "-y", "40", "sh");
    tmux(
      "send-keys",
      "-t",
      "plugin",
      `env PATH='${PATH}' KUBECONFIG='${cluster.kubeconfig}' kubectl agentry status watched -n ${ns.name} -w; echo "EXIT=$?"`,
      "Enter",
    );
    const screens: string[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const screen = tmux("capture-pane", "-p", "-t", "plugin");
      if (screens.at(-1) !== screen) screens.push(screen);
      if (/EXIT=\d/.test(screen)) break;
      await sleep(200);
    }
    const last = screens.at(-1) ?? "";
    expect(last).toContain("rollout settled: Healthy");
    expect(last).toContain("EXIT=0");
    expect(last).toContain("Step:        4/4 done");
    expect(last).toContain("Weight:      100%");
    // Redrawn in place: one view on the screen, never one below the other.
    expect(last.match(/^Name:/gm)).toHaveLength(1);
    const weights = screens.map((screen) => /Weight:\s+(\d+)%/.exec(screen)?.[1]).filter(Boolean);
    expect(weights).toContain("25");
    expect(weights).toContain("50");
    expect(screens.some((screen) => screen.includes("Step:        2/4 (pause 4s)"))).toBe(true);
    expect(screens.some((screen) => screen.includes("Step:        4/4 (pause 4s)"))).toBe(true);
  });
});
