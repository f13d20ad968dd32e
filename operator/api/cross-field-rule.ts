import type { z } from "zod";

/**
 * A validation rule that spans several fields, written once and enforced twice: as a CEL
 * `x-kubernetes-validations` entry in the CRD (so the API server rejects a bad manifest at
 * `kubectl apply` time) and as a zod check (so the operator and `agentry validate` explain it
 * offline). `holds` and `cel` must say the same thing; the invalid-manifest fixtures are run
 * through both to keep them honest.
 */
export interface CrossFieldRule<T> {
  /**
   * CEL expression over `self`, the object the rule is attached to. Absent when the CRD's
   * structure already enforces the rule (uniqueness through `x-kubernetes-list-type: map`, which
   * costs the API server nothing, where a CEL comparison of every pair would exceed its budget).
   */
  readonly cel?: string;
  /** Said by both the API server and the offline validator. */
  readonly message: string;
  /** Field the error is reported on, relative to the object (e.g. "maxReplicas", "agent.memory"). */
  readonly field?: string;
  /** The same rule in TypeScript. It only sees values that already passed the field schemas. */
  readonly holds: (value: T) => boolean;
}

export interface CelValidation {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

export function toCelValidation(rule: {
  cel: string;
  message: string;
  field?: string | undefined;
}): CelValidation {
  const validation: CelValidation = { rule: rule.cel, message: rule.message };
  if (rule.field !== undefined) validation.fieldPath = `.${rule.field}`;
  return validation;
}

/** Attaches rules to a schema: zod checks for parsing, CEL metadata for the CRD generator. */
export function withRules<S extends z.ZodType>(
  schema: S,
  rules: ReadonlyArray<CrossFieldRule<z.output<S>>>,
): S {
  const checked = schema.check((ctx) => {
    for (const rule of rules) {
      if (rule.holds(ctx.value)) continue;
      ctx.issues.push({
        code: "custom",
        message: rule.message,
        input: ctx.value,
        path: rule.field === undefined ? [] : rule.field.split("."),
      });
    }
  }) as S;
  const previous = (schema.meta() ?? {}) as Record<string, unknown>;
  const existing = (previous["x-kubernetes-validations"] as CelValidation[] | undefined) ?? [];
  return checked.meta({
    ...previous,
    "x-kubernetes-validations": [
      ...existing,
      ...rules.flatMap((rule) =>
        rule.cel === undefined ? [] : [toCelValidation({ ...rule, cel: rule.cel })],
      ),
    ],
  }) as S;
}

/** True when exactly one of the values is present (not undefined). */
export function exactlyOne(...values: unknown[]): boolean {
  return values.filter((value) => value !== undefined).length === 1;
}
