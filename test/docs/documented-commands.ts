// Which documents the docs test runs, and which fenced blocks of them are commands: `sh` blocks
// run as written; every other block names what it is (`yaml`, `text`, ...) and is not run.
import path from "node:path";
import { REPO_ROOT } from "../support/cluster-env.ts";
import { type CodeBlock, markdownCodeBlocks } from "../support/markdown-code-blocks.ts";

/** In the order the test runs them: each one builds on the state the ones before left. */
export const RUN_DOCS = ["docs/install.md", "docs/operations.md", "docs/troubleshooting.md"] as const;

/** The info string of a block the test runs. */
export const RUNNABLE = "sh";
/** Info strings of blocks that are shown, not run. Shell under another name would hide a command. */
export const ILLUSTRATIONS = ["yaml", "json", "text", "console", "promql", "ts"] as const;

export function documentedBlocks(doc: string): CodeBlock[] {
  return markdownCodeBlocks(path.join(REPO_ROOT, doc)).map((block) => ({ ...block, file: doc }));
}

/** Why a block is neither a command nor a named illustration, or undefined when it is fine. */
export function unmarkedBlock(block: CodeBlock): string | undefined {
  if (block.info === RUNNABLE) return undefined;
  if ((ILLUSTRATIONS as readonly string[]).includes(block.info)) return undefined;
  return `${block.file}:${block.line}: a code block must be \`\`\`${RUNNABLE} (run by the docs test) or one of ${ILLUSTRATIONS.join(", ")}, not ${JSON.stringify(block.info)}`;
}
