/**
 * The fields an API server rejection names, from kubectl's message, sorted and unique:
 *
 *   The AgentDeployment "a" is invalid: spec.x: Invalid value: ...            (one error)
 *   The AgentDeployment "a" is invalid: \n* spec.x: Invalid value: ...\n* spec.y: ...   (several)
 *   ... strict decoding error: unknown field "spec.z", unknown field "spec.w"  (--validate=strict)
 *
 * `<nil>` (the rules the API server skipped) is reported as `<document>`, as agentry validate does.
 */
export function apiServerErrorFields(message: string): string[] {
  const fields = new Set<string>();
  for (const match of message.matchAll(/unknown field "([^"]+)"/g)) fields.add(match[1] as string);
  const invalid = /is invalid: ?([\s\S]*)$/.exec(message)?.[1];
  if (invalid !== undefined) {
    const bullets = invalid.split("\n").filter((line) => line.startsWith("* "));
    const entries = bullets.length > 0 ? bullets.map((line) => line.slice(2)) : [invalid];
    for (const entry of entries) {
      const field = /^([^\s:]+): /.exec(entry.trim())?.[1]?.replace(/^\./, "");
      // `<nil>`: "some validation rules were not checked" (agentry validate says <document>).
      if (field) fields.add(field === "<nil>" ? "<document>" : field);
    }
  }
  return [...fields].sort();
}
