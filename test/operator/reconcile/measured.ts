import type { Measurement } from "../../../operator/reconcile/analysis-gate.ts";

/** One measurement round of a single metric `errors`, as the controller would hand it over. */
export function measured(outcome: Measurement["outcome"], value = 0.01): Measurement[] {
  return [
    { metric: "errors", value, outcome, measuredAt: "2026-11-26T10:00:00Z", message: `errors ${value}` },
  ];
}
