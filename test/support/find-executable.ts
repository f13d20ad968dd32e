import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** An executable by name from PATH, as a shell finds it (so a PATH can hide one). */
export function findExecutable(name: string): string | undefined {
  const candidates = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** The variable `overrideVariable`, when set, names the only candidate (point it elsewhere to test the skip). */
export function findOverridableExecutable(name: string, overrideVariable: string): string | undefined {
  const override = process.env[overrideVariable];
  if (!override) return findExecutable(name);
  try {
    accessSync(override, constants.X_OK);
    return override;
  } catch {
    return undefined;
  }
}
