/**
 * W3C Trace Context `tracestate` check (https://www.w3.org/TR/trace-context/#tracestate-header):
 * at most 32 `key=value` members, keys unique, 512 characters in all. A header that breaks the
 * grammar is dropped whole rather than repaired: it is forwarded to the model and to tools, and
 * anything else would let clients smuggle arbitrary bytes downstream.
 */
const MAX_LENGTH = 512;
const MAX_MEMBERS = 32;
const KEY_CHARS = "[a-z0-9_*/-]";
const SIMPLE_KEY = `[a-z]${KEY_CHARS}{0,255}`;
const MULTI_TENANT_KEY = `[a-z0-9]${KEY_CHARS}{0,240}@[a-z]${KEY_CHARS}{0,13}`;
const VALUE = "[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]";
const MEMBER = new RegExp(`^(${SIMPLE_KEY}|${MULTI_TENANT_KEY})=(${VALUE})$`);

/** The header trimmed, when valid; undefined otherwise. */
export function validTracestate(header: string): string | undefined {
  if (header.length > MAX_LENGTH) return undefined;
  // Empty list members (",," or blanks between commas) are allowed and skipped.
  const members = header
    .split(",")
    .map((member) => member.replace(/^[ \t]+|[ \t]+$/g, ""))
    .filter((member) => member !== "");
  if (members.length === 0 || members.length > MAX_MEMBERS) return undefined;
  const keys = new Set<string>();
  for (const member of members) {
    const key = MEMBER.exec(member)?.[1];
    if (key === undefined || keys.has(key)) return undefined;
    keys.add(key);
  }
  return members.join(",");
}
