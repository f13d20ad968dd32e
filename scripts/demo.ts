/**
 * `npm run demo`: the main job end to end on a local control plane. Until the operator lands it
 * says what it will do, and shows the part that exists: the API checked offline.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

console.log(`Agentry demo

Planned: build and start a local Kubernetes control plane (etcd, kube-apiserver, controller-manager,
scheduler, kwok fake nodes), install the AgentDeployment CRD, run the operator, apply
examples/canary.yaml, change the model and watch the canary progress in
\`kubectl get agd -w\`, with the agent runtime answering through a local OpenAI-compatible stub.

Available now: the API, validated offline with the same schema the API server enforces.
`);
execFileSync(
  process.execPath,
  [
    join(root, "operator/cli/main.ts"),
    "validate",
    ...["basic", "canary", "blue-green", "autoscaling", "tools"].map((name) =>
      join(root, "examples", `${name}.yaml`),
    ),
  ],
  { stdio: "inherit" },
);
