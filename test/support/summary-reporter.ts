import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { SKIPPED_PARTS_FILE_VARIABLE, type SkippedSuite } from "./require-real-part.ts";

/**
 * Ends a run with the suites skipped for a missing real part, each with how to get it, then one
 * plain line, `tests: N passed, N failed, N skipped`, that tools reading a run's last lines
 * understand whatever the test runner.
 */
export default class SummaryReporter implements Reporter {
  private readonly dir = mkdtempSync(path.join(tmpdir(), "agentry-test-run-"));
  private readonly skippedFile = path.join(this.dir, "skipped-suites.jsonl");

  constructor() {
    // Test workers start after reporters and inherit the variable; requireRealPart appends there.
    process.env[SKIPPED_PARTS_FILE_VARIABLE] = this.skippedFile;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed += 1;
        else if (state === "failed") counts.failed += 1;
        else counts.skipped += 1;
      }
    }
    const skipped = this.readSkipped();
    rmSync(this.dir, { recursive: true, force: true });
    if (skipped.length > 0) {
      const lines = [
        `${skipped.length} suite(s) SKIPPED because a real part is missing:`,
        ...skipped.map((suite) => `  - "${suite.suite}": ${suite.reason}`),
        "Set AGENTRY_REQUIRE_REAL_PARTS=1 to make a missing part a failure (CI does).",
      ];
      const bar = "!".repeat(Math.max(...lines.map((line) => line.length)));
      console.warn(`\n${bar}\n${lines.join("\n")}\n${bar}`);
    }
    console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }

  private readSkipped(): SkippedSuite[] {
    let text = "";
    try {
      text = readFileSync(this.skippedFile, "utf8");
    } catch {
      return [];
    }
    const unique = new Map<string, SkippedSuite>();
    for (const line of text.split("\n").filter(Boolean)) {
      const suite = JSON.parse(line) as SkippedSuite;
      unique.set(`${suite.suite}\n${suite.reason}`, suite);
    }
    return [...unique.values()].sort((a, b) => a.suite.localeCompare(b.suite));
  }
}
