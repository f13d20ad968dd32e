/**
 * Removes obvious credentials from text the runtime passes on (a tool's error page, say): bearer
 * tokens, provider-style `sk-...` keys, and `password=`/`token:`-style assignments. A safety net
 * for accidents, not a guarantee: the excerpt is also kept short.
 */
const PATTERNS: readonly [RegExp, string][] = [
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [redacted]"],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, "sk-[redacted]"],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, "[redacted-jwt]"],
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
    "$1$2[redacted]",
  ],
  [/(\w+:\/\/[^:/\s@]+:)[^@\s/]+@/g, "$1[redacted]@"],
];

export function redactSecrets(text: string): string {
  return PATTERNS.reduce((redacted, [pattern, replacement]) => redacted.replace(pattern, replacement), text);
}
