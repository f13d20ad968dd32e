import { z } from "zod";

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
  /**
   * Field the error is reported on, relative to the object (e.g. "maxReplicas", "agent.memory"),
   * so that both validators name it (without it the API server says `<nil>` or the parent).
   * Absent for a rule on a scalar (a URL, an image reference): the error is on that field itself.
   */
  readonly field?: string;
  /** How the API server classifies the error; FieldValueInvalid when absent. */
  readonly reason?: CelValidation["reason"];
  /**
   * The same rule in TypeScript. It also runs when other fields of the object failed (the API
   * server evaluates every rule, so both report every problem at once); a value too broken to
   * judge throws or returns true, and the field errors already say what is wrong.
   */
  readonly holds: (value: T) => boolean;
}

/** Marks the zod issues of cross-field rules (the API server skips its CEL rules in some cases). */
export const CROSS_FIELD_RULE = "agentryCrossFieldRule";

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
  reason?: CelValidation["reason"] | undefined;
}): CelValidation {
  return {
    rule: rule.cel,
    message: rule.message,
    ...(rule.field === undefined ? {} : { fieldPath: `.${rule.field}` }),
    reason: rule.reason ?? "FieldValueInvalid",
  };
}

const RULES_OF_CHECK = new WeakMap<object, ReadonlyArray<CrossFieldRule<never>>>();

/**
 * The rules behind a zod check that `withRules` added, undefined for any other check: lets a walk
 * over the schema tell a rule with a CEL twin from a bare refinement the API server knows nothing of.
 */
export function rulesOf(check: object): ReadonlyArray<CrossFieldRule<never>> | undefined {
  return RULES_OF_CHECK.get(check);
}

function safelyHolds<T>(rule: CrossFieldRule<T>, value: T): boolean {
  try {
    return rule.holds(value);
  } catch {
    return true;
  }
}

/** Attaches rules to a schema: zod checks for parsing, CEL metadata for the CRD generator. */
export function withRules<S extends z.ZodType>(
  schema: S,
  rules: ReadonlyArray<CrossFieldRule<z.output<S>>>,
): S {
  const checked = schema.check(
    z.superRefine(
      (value: z.output<S>, ctx) => {
        for (const rule of rules) {
          if (safelyHolds(rule, value)) continue;
          ctx.addIssue({
            code: "custom",
            message: rule.message,
            input: value,
            path: rule.field === undefined ? [] : rule.field.split("."),
            params: { [CROSS_FIELD_RULE]: true },
          });
        }
      },
      // Run even when a field of the object already failed, as the API server does; only a value
      // of the wrong type (not an object, or not the scalar the rule is about) is skipped.
      { when: (payload) => payload.value !== null && typeof payload.value === valueType(schema) },
    ),
  ) as S;
  const check = checked._zod.def.checks?.at(-1);
  if (check !== undefined) RULES_OF_CHECK.set(check, rules as ReadonlyArray<CrossFieldRule<never>>);
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

/** The `typeof` of the values the schema's rules judge: "object", or a scalar's "string". */
function valueType(schema: z.ZodType): string {
  return schema._zod.def.type === "string" ? "string" : "object";
}

/**
 * The rule "exactly one of these fields is set", reported on the first of them:
 * exactlyOneOf(["url", "agentRef"], "a tool needs exactly one of url or agentRef").
 */
export function exactlyOneOf<T extends object>(
  fields: readonly [keyof T & string, ...(keyof T & string)[]],
  message: string,
): CrossFieldRule<T> {
  return {
    cel: `[${fields.map((field) => `has(self.${field})`).join(", ")}].filter(x, x).size() == 1`,
    message,
    field: fields[0],
    holds: (value) => exactlyOne(...fields.map((field) => value[field])),
  };
}

/** True when exactly one of the values is present (not undefined). */
export function exactlyOne(...values: unknown[]): boolean {
  return values.filter((value) => value !== undefined).length === 1;
}
