// The fenced code blocks of a Markdown file, as a Markdown parser (marked's lexer) sees them, with
// the line each one starts on: what the docs test runs, and what it refuses to guess about.
import { readFileSync } from "node:fs";
import { marked, type Token, type Tokens } from "marked";

export interface CodeBlock {
  /** The file as given, for messages. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The whole info string after the fence (`sh`, `yaml`, `text`, ...); "" when there is none. */
  info: string;
  /** The block's content, without the fences. */
  text: string;
  /** The nearest heading above the block. */
  heading: string;
}

/** Every fenced or indented code block of `file`, in document order. */
export function markdownCodeBlocks(file: string, source = readFileSync(file, "utf8")): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let offset = 0;
  let heading = "";
  for (const token of marked.lexer(source)) {
    const line = source.slice(0, offset).split("\n").length;
    offset += token.raw.length;
    if (token.type === "heading") heading = (token as Tokens.Heading).text;
    for (const code of codeTokens(token)) {
      blocks.push({ file, line, info: (code.lang ?? "").trim(), text: code.text, heading });
    }
  }
  return blocks;
}

/** A token's code blocks, its own and those nested in lists, quotes and tables. */
function codeTokens(token: Token): Tokens.Code[] {
  if (token.type === "code") return [token as Tokens.Code];
  const found: Tokens.Code[] = [];
  marked.walkTokens([token], (inner) => {
    if (inner !== token && inner.type === "code") found.push(inner as Tokens.Code);
  });
  return found;
}
