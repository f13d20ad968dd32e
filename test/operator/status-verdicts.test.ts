// One state, one verdict: the AgentDeployments the operator writes in each state a user meets
// (test/support/status-states.ts, saved as test/fixtures/status/*.yaml) are judged by the phase,
// the conditions, kstatus (what Flux and Helm's --wait use) and Argo CD's health Lua
// (examples/argocd/argocd-cm.yaml), and every verdict must be the one docs/rollouts.md's table
// gives for that state.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { argocdHealth, argocdLuaAvailable } from "../support/argocd-lua.ts";
import { kstatusAvailable, kstatusCompute } from "../support/kstatus.ts";
import { recordStatusStates } from "../support/status-states.ts";

const root = path.join(import.meta.dirname, "..", "..");
const fixturesDir = path.join(root, "test/fixtures/status");
const argocdCm = (
  parse(readFileSync(path.join(root, "examples/argocd/argocd-cm.yaml"), "utf8")) as {
    data: Record<string, string>;
  }
).data;

type Obj = {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    phase?: string;
    message?: string;
    canary?: { step?: string };
    conditions?: { type: string; status: string }[];
  };
};

interface Row {
  state: string;
  phase: string;
  ready: string;
  stalled: string;
  reconciling: string;
  kstatus: string;
  argocd: string;
}

/** The table of docs/rollouts.md "One state, one verdict": first word of each cell. */
function documentedRows(): Row[] {
  const text = readFileSync(path.join(root, "docs/rollouts.md"), "utf8");
  const section = text.split("## One state, one verdict")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((line) => /^\| `[a-z-]+`/.test(line))
    .map((line) => {
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
      const word = (cell: string | undefined) => (cell ?? "").replace(/`/g, "").split(/[\s(,]/)[0] ?? "";
      const state = /^`([a-z-]+)`/.exec(cells[0] ?? "")?.[1] ?? "";
      const [, phase, ready, stalled, reconciling, kstatus, argocd] = cells.map(word);
      return { state, phase, ready, stalled, reconciling, kstatus, argocd } as Row;
    });
}

const fixture = (state: string) =>
  parse(readFileSync(path.join(fixturesDir, `${state}.yaml`), "utf8")) as Obj;
const condition = (obj: Obj, type: string) =>
  obj.status?.conditions?.find((candidate) => candidate.type === type)?.status ?? "-";
const rows = documentedRows();
const fixtureNames = rows.map((row) => row.state).sort();
const savedFixtures = () =>
  readdirSync(fixturesDir)
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => file.replace(/\.yaml$/, ""))
    .sort();

describe("status of every state, as the operator writes it", () => {
  let states: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    states = await recordStatusStates();
  });

  it("has a row in docs/rollouts.md for every recorded state", () => {
    expect(Object.keys(states).sort()).toEqual(fixtureNames);
  });

  it.each(fixtureNames)("fixture %s is what the operator writes now", async (state) => {
    const header = `# ${state}: recorded by test/support/status-states.ts (vitest -u rewrites it)\n`;
    await expect(`${header}${stringify(states[state])}`).toMatchFileSnapshot(
      path.join(fixturesDir, `${state}.yaml`),
    );
  });

  it("keeps no fixture of a state that is gone", () => {
    expect(savedFixtures()).toEqual(fixtureNames);
  });
});

describe("the phase and the conditions agree with docs/rollouts.md and with each other", () => {
  it.each(rows)("$state: phase $phase, Ready $ready, Stalled $stalled, Reconciling $reconciling", (row) => {
    const obj = fixture(row.state);
    expect({
      phase: obj.status?.phase ?? "-",
      ready: condition(obj, "Ready"),
      stalled: condition(obj, "Stalled"),
      reconciling: condition(obj, "Reconciling"),
    }).toEqual({ phase: row.phase, ready: row.ready, stalled: row.stalled, reconciling: row.reconciling });
  });

  it.each(fixtureNames)(
    "%s: Stalled=True exactly when Degraded, Ready=True exactly when Healthy",
    (state) => {
      const obj = fixture(state);
      if (!obj.status) return;
      expect(condition(obj, "Stalled") === "True").toBe(obj.status.phase === "Degraded");
      expect(condition(obj, "Ready") === "True").toBe(obj.status.phase === "Healthy");
    },
  );

  it.each(fixtureNames)("%s: kubectl get agd's STEP is the step the message names", (state) => {
    const obj = fixture(state);
    const named = /canary step (\d+\/\d+)/.exec(obj.status?.message ?? "")?.[1];
    if (named) expect(obj.status?.canary?.step).toBe(named);
  });
});

const kstatusSuite = "kstatus' verdict on every state (docs/rollouts.md)";
describe.skipIf(!kstatusAvailable(kstatusSuite))(kstatusSuite, () => {
  it("is the documented one for every state, and Failed exactly when the phase is Degraded", async () => {
    const verdicts = await kstatusCompute(rows.map((row) => fixture(row.state)));
    expect(verdicts.map((verdict, i) => `${rows[i]?.state}: ${verdict.status}`)).toEqual(
      rows.map((row) => `${row.state}: ${row.kstatus}`),
    );
    for (const [i, verdict] of verdicts.entries()) {
      const obj = fixture(rows[i]?.state ?? "");
      expect(verdict.status === "Failed").toBe(obj.status?.phase === "Degraded");
    }
  });
});

const argocdSuite = "Argo CD's health of every state (docs/rollouts.md)";
describe.skipIf(!argocdLuaAvailable(argocdSuite))(argocdSuite, () => {
  it.each(rows)("$state: $argocd", async (row) => {
    const obj = fixture(row.state);
    const health = await argocdHealth({ argocdCm, obj });
    expect(health.status).toBe(row.argocd);
    // An observed status is passed through with the operator's words.
    if (obj.status?.observedGeneration === obj.metadata.generation && obj.status?.message)
      expect(health.message).toBe(obj.status.message);
  });
});
