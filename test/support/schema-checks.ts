import type { z } from "zod";
import { type CrossFieldRule, rulesOf } from "../../operator/api/cross-field-rule.ts";

/** One check of the zod schema, where it sits: what an apply-time twin has to exist for. */
export type SchemaCheck =
  | { kind: "rule"; path: string; rule: CrossFieldRule<never>; id: object }
  | { kind: "pattern"; path: string; pattern: string; message: string | undefined; id: object }
  | { kind: "bound"; path: string; check: string; value: number; message: string | undefined }
  /** Anything else (z.url(), z.email(), a bare refine): the CRD cannot carry it as it is. */
  | { kind: "unknown"; path: string; check: string };

interface Def {
  type: string;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  format?: string;
  pattern?: RegExp;
  error?: (issue: unknown) => unknown;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
}

const BOUNDS: Record<string, string> = {
  max_length: "maximum",
  min_length: "minimum",
  less_than: "value",
  greater_than: "value",
};

const STRUCTURAL_FORMATS = new Set(["safeint", "int32", "float64"]);

/**
 * Every check of a zod schema with its path in the manifest: "spec.agent.tools[].url" (`[]` an
 * item of a list, `{}` a value of a map, `{key}` a map's key). The same check reached through two
 * fields (one analysis spec under canary and blue-green) is listed at each, with the same `id`.
 */
export function schemaChecks(schema: z.ZodType, path = ""): SchemaCheck[] {
  const def = schema._zod.def as unknown as Def;
  const found: SchemaCheck[] = [];
  if (def.type === "string" && def.format !== undefined && !STRUCTURAL_FORMATS.has(def.format)) {
    // z.url(), z.email(), z.iso.datetime(): the format is the schema itself, not one of its checks.
    found.push({ kind: "unknown", path, check: `format ${def.format}` });
  }
  for (const check of def.checks ?? []) {
    const checkDef = check._zod.def;
    const name = String(checkDef.check);
    const rules = rulesOf(check);
    if (rules !== undefined) {
      for (const rule of rules) found.push({ kind: "rule", path, rule, id: rule });
    } else if (name === "string_format" && checkDef.format === "regex") {
      found.push({
        kind: "pattern",
        path,
        pattern: (checkDef.pattern as RegExp).source,
        message: messageOf(checkDef),
        id: check,
      });
    } else if (name === "number_format" && STRUCTURAL_FORMATS.has(String(checkDef.format))) {
      // z.int(): `type: integer` and the safe-integer bounds, both structural.
    } else if (name in BOUNDS) {
      const value = Number(checkDef[BOUNDS[name] as string]);
      found.push({ kind: "bound", path, check: name, value, message: messageOf(checkDef) });
    } else {
      found.push({ kind: "unknown", path, check: `${name}${checkDef.format ? ` ${checkDef.format}` : ""}` });
    }
  }
  const child = (sub: z.ZodType | undefined, subPath: string) => {
    if (sub !== undefined) found.push(...schemaChecks(sub, subPath));
  };
  switch (def.type) {
    case "object":
      for (const [name, sub] of Object.entries(def.shape ?? {})) child(sub, path ? `${path}.${name}` : name);
      break;
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
      child(def.innerType, path);
      break;
    case "array":
      child(def.element, `${path}[]`);
      break;
    case "record":
      child(def.keyType, `${path}{key}`);
      child(def.valueType, `${path}{}`);
      break;
    case "union":
      for (const option of def.options ?? []) child(option, path);
      break;
    case "pipe":
      child(def.in, path);
      break;
  }
  return found;
}

function messageOf(checkDef: Record<string, unknown>): string | undefined {
  const error = checkDef.error as ((issue: unknown) => unknown) | undefined;
  const message = error?.({});
  return typeof message === "string" ? message : undefined;
}

/** "spec.agent.tools[0].url" -> "spec.agent.tools[].url", the form `schemaChecks` names paths in. */
export function schemaPath(manifestPath: string): string {
  return manifestPath.replace(/\[\d+\]/g, "[]");
}
