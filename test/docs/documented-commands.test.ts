import { describe, expect, it } from "vitest";
import { markdownCodeBlocks } from "../support/markdown-code-blocks.ts";
import { documentedBlocks, RUN_DOCS, RUNNABLE, unmarkedBlock } from "./documented-commands.ts";

describe("code blocks of the documents whose commands the docs test runs", () => {
  it.each(RUN_DOCS)("%s: every block is a command (sh) or names what else it is", (doc) => {
    const blocks = documentedBlocks(doc);
    expect(blocks.filter((block) => block.info === RUNNABLE).length).toBeGreaterThan(0);
    expect(blocks.map(unmarkedBlock).filter(Boolean)).toEqual([]);
  });

  it("an unmarked or shell-named block is refused with its line", () => {
    const source =
      "# T\n\n```\nkubectl get agd\n```\n\n```bash\nhelm list\n```\n\n```sh\nkubectl get ns\n```\n";
    const blocks = markdownCodeBlocks("x.md", source);
    expect(blocks.map((block) => [block.line, block.info, block.text])).toEqual([
      [3, "", "kubectl get agd"],
      [7, "bash", "helm list"],
      [11, "sh", "kubectl get ns"],
    ]);
    expect(blocks.map(unmarkedBlock)).toEqual([
      expect.stringContaining("x.md:3: a code block must be ```sh"),
      expect.stringContaining('not "bash"'),
      undefined,
    ]);
  });

  it("finds blocks nested in lists, on the line of the list", () => {
    const source = "intro\n\n- step one:\n\n  ```sh\n  kubectl get agd\n  ```\n";
    expect(markdownCodeBlocks("x.md", source).map((block) => [block.line, block.info, block.text])).toEqual([
      [3, "sh", "kubectl get agd"],
    ]);
  });
});
