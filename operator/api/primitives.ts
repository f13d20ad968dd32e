import { z } from "zod";
import { withRules } from "./cross-field-rule.ts";

/** The x-kubernetes-int-or-string marker, read by the CRD generator. */
export const INT_OR_STRING = { "x-kubernetes-int-or-string": true } as const;
/** Free-form objects (a JSON Schema, an affinity) kept as written by the API server. */
export const PRESERVE_UNKNOWN_FIELDS = { "x-kubernetes-preserve-unknown-fields": true } as const;

/** DNS-1123 subdomain: names of Secrets, ConfigMaps, ServiceAccounts, HTTPRoutes. */
export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message: "must be a lowercase DNS-1123 name (a-z, 0-9, '-' and '.')",
  });

/** Keys of Secret and ConfigMap data. */
export const dataKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, { message: "must consist of alphanumerics, '-', '_' or '.'" });

export const secretKeyRef = z
  .strictObject({
    name: objectName.describe("Name of the Secret, in the AgentDeployment's namespace."),
    key: dataKey.describe("Key inside the Secret's data."),
  })
  .describe("A key of a Secret in the same namespace.");

export const configMapKeyRef = z
  .strictObject({
    name: objectName.describe("Name of the ConfigMap, in the AgentDeployment's namespace."),
    key: dataKey.describe("Key inside the ConfigMap's data."),
  })
  .describe("A key of a ConfigMap in the same namespace.");

export const localObjectRef = z
  .strictObject({ name: objectName.describe("Name of the object, in the same namespace.") })
  .describe("A reference to an object in the same namespace.");

export const HTTP_URL_MESSAGE = "must be an http or https URL with a host, such as https://example.com/path";

/**
 * An absolute http(s) URL with a host. The CRD's `format: uri` lets the API server accept any
 * absolute URI (file:///etc/passwd), so the rule is CEL over Kubernetes' URL library (Go's
 * net/url), and in TypeScript the WHATWG parser plus what Go refuses and WHATWG quietly repairs:
 * surrounding whitespace, control characters, a missing "//", a third "/" before the host,
 * backslashes (WHATWG reads them as "/").
 */
export function httpUrl(maxLength = 2048) {
  return withRules(z.string().max(maxLength), [
    {
      cel: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
      message: HTTP_URL_MESSAGE,
      holds: isHttpUrl,
    },
  ]);
}

function isHttpUrl(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (!/^https?:\/\/[^/\\\s\x00-\x1f\x7f][^\\\s\x00-\x1f\x7f]*$/i.test(value)) return false;
  const url = URL.parse(value);
  return url !== null && (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}

/**
 * An integer or a string matching `pattern`, as Kubernetes' own int-or-string fields are: the CRD
 * carries `x-kubernetes-int-or-string` with the pattern, which applies to string values only.
 */
function intOrString(pattern: string, message: string) {
  return z
    .union([z.int().min(0), z.string().max(64).regex(new RegExp(pattern), { message })])
    .meta({ ...INT_OR_STRING, pattern, minimum: 0, maxLength: 64 });
}

/**
 * A duration as Argo Rollouts writes it: "30s", "5m", "1h30m", or a bare integer of seconds.
 * Parsed to milliseconds by `parseDurationMs`.
 */
export const duration = intOrString(
  "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
  'must be a duration such as "30s", "5m" or "1h30m", or a number of seconds',
);

/** A Kubernetes resource quantity: 100m, 0.5, 256Mi, 2. */
export const quantity = intOrString(
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
  'must be a quantity such as "500m", "1" or "256Mi"',
);

/** An absolute number or a percentage such as "25%". */
export const intOrPercent = intOrString("^[0-9]+%$", 'must be a number or a percentage such as "25%"');

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1h30m" -> 5_400_000; 90 -> 90_000 (a bare number means seconds, as in Argo Rollouts). */
export function parseDurationMs(value: number | string): number {
  if (typeof value === "number") return value * 1000;
  let total = 0;
  for (const match of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000);
  }
  return Math.round(total);
}

/**
 * An object field that defaults to the object with all its own defaults filled in. The API server
 * checks a default against the CRD's CEL rules as written, without filling nested defaults
 * first, so `{}` would fail a rule such as `self.mode != 'jwt'`.
 */
export function defaultedObject<S extends z.ZodType>(schema: S) {
  return schema.default(() => schema.parse({}) as z.util.NoUndefined<z.output<S>>);
}
