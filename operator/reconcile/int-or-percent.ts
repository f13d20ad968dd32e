/**
 * Resolves maxSurge/maxUnavailable against a replica count the way the Deployment controller
 * does: a surge rounds up, an unavailability rounds down.
 *
 *   resolveIntOrPercent("25%", 10, "up")   -> 3   (2.5 rounded up)
 *   resolveIntOrPercent("25%", 10, "down") -> 2
 *   resolveIntOrPercent(1, 10, "down")     -> 1
 */
export function resolveIntOrPercent(value: number | string, total: number, round: "up" | "down"): number {
  if (typeof value === "number") return value;
  const percent = Number.parseInt(value, 10);
  const exact = (percent * total) / 100;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}
