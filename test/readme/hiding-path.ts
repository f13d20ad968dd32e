import { accessSync, constants, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";

/**
 * A PATH of one directory, `dir`, that holds a link to every executable the given PATH finds
 * (the first of each name, as a shell would) except the `hidden` names: a machine on which those
 * were never installed. Links keep their own names, so tools that look at argv[0] still work.
 */
export function hidingPath(searchPath: string, hidden: readonly string[], dir: string): string {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>(hidden);
  for (const entry of searchPath.split(path.delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(entry);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      const target = path.join(entry, name);
      try {
        accessSync(target, constants.X_OK);
      } catch {
        continue;
      }
      seen.add(name);
      symlinkSync(target, path.join(dir, name));
    }
  }
  return dir;
}
