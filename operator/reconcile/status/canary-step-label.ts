/**
 * The canary step as a person counts it, the form of the status message: "2/5" while the step at
 * index 1 of 5 runs. Once every step has passed (index = count) it stays at the last step, "5/5".
 * Undefined without steps (or without progress), where there is no step to show.
 */
export function canaryStepLabel(index: number | undefined, count: number | undefined): string | undefined {
  if (index === undefined || count === undefined || count === 0) return undefined;
  return `${Math.min(index + 1, count)}/${count}`;
}
