/** One reading of a series: x, y, and the segment (e.g. operator process) it belongs to. */
export interface SlopeSample {
  x: number;
  y: number;
  segment: number;
}

/**
 * Least-squares slope of y over x with one intercept per segment and a slope shared by all: a
 * restart drops memory to a new level, and that step is no growth. With a single segment it is the
 * ordinary least-squares slope. NaN when no segment has two distinct x values.
 */
export function leastSquaresSlope(samples: readonly SlopeSample[]): number {
  const bySegment = new Map<number, SlopeSample[]>();
  for (const sample of samples)
    bySegment.set(sample.segment, [...(bySegment.get(sample.segment) ?? []), sample]);
  let covariance = 0;
  let variance = 0;
  for (const group of bySegment.values()) {
    const meanX = group.reduce((sum, s) => sum + s.x, 0) / group.length;
    const meanY = group.reduce((sum, s) => sum + s.y, 0) / group.length;
    for (const s of group) {
      covariance += (s.x - meanX) * (s.y - meanY);
      variance += (s.x - meanX) ** 2;
    }
  }
  return variance === 0 ? Number.NaN : covariance / variance;
}
