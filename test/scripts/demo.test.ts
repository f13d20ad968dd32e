/**
 * `npm run demo` with a `$KUBECONFIG` whose API server does not answer: a clear error naming the
 * context and the server, a non-zero exit, and no local plane started in its place.
 */
import { expect, it } from "vitest";
import { freePort } from "../support/bare-api-server.ts";
import { writeKubeconfigFile } from "../support/kubeconfig-file.ts";
import { demoEnv, startDemo } from "./demo-process.ts";

it("exits non-zero naming the server when $KUBECONFIG points at a closed port", {
  timeout: 60_000,
}, async () => {
  const server = `https://127.0.0.1:${await freePort()}`;
  const kubeconfig = writeKubeconfigFile({ cluster: { server }, user: { token: "demo" } });
  const demo = startDemo(demoEnv({ KUBECONFIG: kubeconfig }));
  const code = await demo.exited;
  expect(code).not.toBe(0);
  expect(demo.output()).toContain(
    `Cannot reach the cluster from $KUBECONFIG (${kubeconfig}): context test, server ${server}: fetch failed: connect ECONNREFUSED`,
  );
  expect(demo.output()).not.toContain("Using the cluster");
  expect(demo.output()).not.toContain("Local control plane");
});

it("exits non-zero when $KUBECONFIG names a file that does not exist", { timeout: 60_000 }, async () => {
  const demo = startDemo(demoEnv({ KUBECONFIG: "/nonexistent/kubeconfig" }));
  expect(await demo.exited).not.toBe(0);
  expect(demo.output()).toContain("Cannot read $KUBECONFIG (/nonexistent/kubeconfig): ENOENT");
});
