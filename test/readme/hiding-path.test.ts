import { chmodSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { findExecutable } from "../support/find-executable.ts";
import { hidingPath } from "./hiding-path.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, number>): string {
  const root = mkdtempSync(path.join(tmpdir(), "hiding-path-"));
  dirs.push(root);
  for (const [file, mode] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), "#!/bin/sh\n");
    chmodSync(path.join(root, file), mode);
  }
  return root;
}

it("finds every executable of the PATH but the hidden ones, the first of each name", () => {
  const root = tree({
    "a/prometheus": 0o755,
    "a/node": 0o755,
    "b/node": 0o755,
    "b/git": 0o755,
    "b/notes": 0o644,
  });
  const searchPath = [path.join(root, "a"), path.join(root, "missing"), path.join(root, "b")].join(
    path.delimiter,
  );
  const original = process.env.PATH;
  try {
    process.env.PATH = hidingPath(searchPath, ["prometheus"], path.join(root, "bin"));
    expect(findExecutable("prometheus")).toBeUndefined();
    expect(findExecutable("notes")).toBeUndefined();
    expect(readlinkSync(findExecutable("node") ?? "")).toBe(path.join(root, "a", "node"));
    expect(readlinkSync(findExecutable("git") ?? "")).toBe(path.join(root, "b", "git"));
  } finally {
    process.env.PATH = original;
  }
});
