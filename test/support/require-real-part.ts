import { appendFileSync } from "node:fs";

/** Set by the summary reporter: where suites skipped for a missing part are written down. */
export const SKIPPED_PARTS_FILE_VARIABLE = "AGENTRY_SKIPPED_SUITES_FILE";

export interface SkippedSuite {
  suite: string;
  reason: string;
}

/**
 * Suites that need a real external part (a redis-server binary, ...) call this once. When the part
 * is missing they are skipped LOUDLY (here, and again in the run's summary), or fail when
 * AGENTRY_REQUIRE_REAL_PARTS=1 (CI sets it, so a missing install step cannot hide behind a green
 * run of skipped tests).
 */
export function requireRealPart(
  part: string,
  available: boolean,
  howToInstall: string,
  suite: string,
): boolean {
  if (available) return true;
  const reason = `${part} not available (${howToInstall})`;
  if (process.env.AGENTRY_REQUIRE_REAL_PARTS === "1") {
    throw new Error(`AGENTRY_REQUIRE_REAL_PARTS=1 but ${reason}; suite "${suite}" cannot run`);
  }
  const line = `SKIPPING "${suite}": ${reason}. Set AGENTRY_REQUIRE_REAL_PARTS=1 to make this a failure.`;
  console.warn(`\n${"!".repeat(line.length)}\n${line}\n${"!".repeat(line.length)}\n`);
  recordSkippedSuite({ suite, reason });
  return false;
}

/** Writes a skipped suite down for the run's summary (a no-op outside a vitest run). */
export function recordSkippedSuite(skipped: SkippedSuite): void {
  const file = process.env[SKIPPED_PARTS_FILE_VARIABLE];
  if (file) appendFileSync(file, `${JSON.stringify(skipped)}\n`);
}
