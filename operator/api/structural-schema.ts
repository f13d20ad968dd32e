/**
 * Turns the JSON Schema that zod emits (draft 2020-12) into a Kubernetes structural schema
 * (OpenAPI v3 subset): every node typed, no anyOf/oneOf/const/$ref, int-or-string as Kubernetes
 * spells it, unknown keywords rejected so a new zod construct cannot slip into the CRD unnoticed.
 */
export type JsonSchema = { [key: string]: unknown };

const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

/** Keywords copied as they are. */
const PASS_THROUGH = new Set([
  "type",
  "description",
  "default",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "required",
  "pattern",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
]);

/**
 * List keywords the API server does not store when empty. A CRD holding one empty differs from
 * what the server keeps, so a second server-side applier of the same file (Helm 4 after
 * `kubectl apply --server-side`) conflicts on `.spec.versions`, an atomic list.
 */
const DROPPED_WHEN_EMPTY = new Set([
  "required",
  "enum",
  "x-kubernetes-validations",
  "x-kubernetes-list-map-keys",
]);

/** Formats the API server understands; zod emits others that it would silently ignore. */
const KUBERNETES_FORMATS = new Set(["date-time", "uri", "int32", "int64", "double", "float"]);

export class UnsupportedSchemaError extends Error {
  override readonly name = "UnsupportedSchemaError";
  readonly code = "UNSUPPORTED_SCHEMA";
  constructor(path: string, detail: string) {
    super(`${path || "<root>"}: ${detail}`);
  }
}

export function toStructuralSchema(schema: JsonSchema, path = ""): JsonSchema {
  const out: JsonSchema = {};
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  const preserveUnknown = schema["x-kubernetes-preserve-unknown-fields"] === true;
  for (const [key, value] of Object.entries(schema)) {
    if (PASS_THROUGH.has(key)) {
      if (!(DROPPED_WHEN_EMPTY.has(key) && Array.isArray(value) && value.length === 0)) out[key] = value;
      continue;
    }
    switch (key) {
      case "$schema":
      case "propertyNames":
        break;
      case "const":
        out.enum = [value];
        break;
      case "format":
        if (typeof value === "string" && KUBERNETES_FORMATS.has(value)) out.format = value;
        break;
      case "exclusiveMinimum":
        out.minimum = value;
        out.exclusiveMinimum = true;
        break;
      case "exclusiveMaximum":
        out.maximum = value;
        out.exclusiveMaximum = true;
        break;
      case "anyOf":
        if (!intOrString) throw new UnsupportedSchemaError(path, "anyOf is only allowed for int-or-string");
        break;
      case "additionalProperties":
        if (value === false || preserveUnknown) break;
        out.additionalProperties = toStructuralSchema(value as JsonSchema, `${path}[*]`);
        break;
      case "properties":
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [
            name,
            toStructuralSchema(child, path ? `${path}.${name}` : name),
          ]),
        );
        break;
      case "items":
        out.items = toStructuralSchema(value as JsonSchema, `${path}[]`);
        break;
      default:
        throw new UnsupportedSchemaError(path, `keyword "${key}" has no structural equivalent`);
    }
  }
  if (intOrString) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  } else if (out.type === undefined) {
    throw new UnsupportedSchemaError(path, "every node needs a type");
  }
  if (out.format === "date-time") delete out.pattern;
  if (out.minimum === -SAFE_INTEGER_BOUND) delete out.minimum;
  if (out.maximum === SAFE_INTEGER_BOUND) delete out.maximum;
  if (preserveUnknown) delete out.additionalProperties;
  return out;
}
