/**
 * Suites that need a real external part (a redis-server binary, ...) call this once. When the part
 * is missing they are skipped LOUDLY, or fail when AGENTRY_REQUIRE_REAL_PARTS=1 (CI sets it, so a
 * missing install step cannot hide behind a green run of skipped tests).
 */
export function requireRealPart(
  part: string,
  available: boolean,
  howToInstall: string,
  suite: string,
): boolean {
  if (available) return true;
  const reason = `${part} is not available (${howToInstall})`;
  if (process.env.AGENTRY_REQUIRE_REAL_PARTS === "1") {
    throw new Error(`AGENTRY_REQUIRE_REAL_PARTS=1 but ${reason}; suite "${suite}" cannot run`);
  }
  const line = `SKIPPING "${suite}": ${reason}. Set AGENTRY_REQUIRE_REAL_PARTS=1 to make this a failure.`;
  console.warn(`\n${"!".repeat(line.length)}\n${line}\n${"!".repeat(line.length)}\n`);
  return false;
}
