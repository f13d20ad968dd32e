/**
 * Cleans a provider's error text before a client sees it: providers echo the caller's key
 * ("Incorrect API key provided: sk-proj-****wxyz") and organisation, and here the caller is the
 * runtime, so that key is ours. Removes credentials `redactSecrets` knows, `org-...` ids, and any
 * run of 8 or more characters taken from the configured API key.
 */
import { redactSecrets } from "../tools/redact-secrets.ts";

const KEY_FRAGMENT_LENGTH = 8;
const REDACTED = "[redacted]";

function redactKeyFragments(text: string, apiKey: string): string {
  if (apiKey.length < KEY_FRAGMENT_LENGTH) return text;
  const fragments = new Set<string>();
  for (let start = 0; start + KEY_FRAGMENT_LENGTH <= apiKey.length; start++) {
    fragments.add(apiKey.slice(start, start + KEY_FRAGMENT_LENGTH));
  }
  const covered = new Uint8Array(text.length);
  for (let start = 0; start + KEY_FRAGMENT_LENGTH <= text.length; start++) {
    if (fragments.has(text.slice(start, start + KEY_FRAGMENT_LENGTH))) {
      covered.fill(1, start, start + KEY_FRAGMENT_LENGTH);
    }
  }
  let result = "";
  for (let index = 0; index < text.length; index++) {
    if (!covered[index]) result += text[index];
    else if (index === 0 || !covered[index - 1]) result += REDACTED;
  }
  return result;
}

export function redactProviderText(text: string, apiKey: string | undefined): string {
  const withoutKey = apiKey ? redactKeyFragments(text, apiKey) : text;
  return redactSecrets(withoutKey.replace(/\bsk-[A-Za-z0-9_*.-]{4,}/g, "sk-[redacted]")).replace(
    /\borg-[A-Za-z0-9_-]{4,}/g,
    "org-[redacted]",
  );
}
