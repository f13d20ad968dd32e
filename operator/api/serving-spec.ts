import { z } from "zod";
import { withRules } from "./cross-field-rule.ts";
import { httpUrl, secretKeyRef } from "./primitives.ts";

/** The Service port when spec.service.port is not set (HTTP's own, so URLs can leave it out). */
export const DEFAULT_SERVICE_PORT = 80;

export const serviceSpec = z
  .strictObject({
    type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP").describe("Service type."),
    port: z.int().min(1).max(65_535).default(DEFAULT_SERVICE_PORT).describe("Port the Service listens on."),
    annotations: z.record(z.string(), z.string()).optional().describe("Extra annotations on the Service."),
  })
  .describe("The Service NAME that receives the agent's traffic.");

export const jwtSpec = z
  .strictObject({
    jwksURL: httpUrl()
      .optional()
      .describe(
        "JWKS endpoint of the issuer (RS/ES/EdDSA keys). Without it, secretRef holds an HS256 secret.",
      ),
    issuer: z.string().max(1024).optional().describe("Required `iss` claim."),
    audience: z.string().max(1024).optional().describe("Required `aud` claim."),
    subjectClaim: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        "Claim naming the caller: sessions, quotas and rate limits are per caller, and a token without it is refused. Default: sub.",
      ),
    rolesClaim: z
      .string()
      .max(256)
      .optional()
      .describe(
        "Claim holding the caller's roles (dotted path; array or space-separated string). Default: roles.",
      ),
    routeRoles: withRules(z.record(z.string(), z.array(z.string().min(1)).min(1)), [
      {
        // On the map, not its keys: a CRD cannot type the keys of a map (no propertyNames).
        cel: "self.all(route, route.startsWith('/'))",
        message: "keys must be paths starting with /, such as /v1/chat",
        holds: (routes) => Object.keys(routes).every((route) => route.startsWith("/")),
      },
    ])
      .optional()
      .describe('Roles per endpoint, e.g. {"/v1/chat": ["chat"]}: a token needs one of them to call it.'),
  })
  .describe("How JWTs are verified.");

export const authSpec = withRules(
  z
    .strictObject({
      mode: z
        .enum(["none", "apiKey", "jwt"])
        .default("none")
        .describe(
          "none: open. apiKey: a key in the Authorization or x-api-key header. jwt: a bearer token verified by jose.",
        ),
      secretRef: secretKeyRef
        .optional()
        .describe(
          "apiKey: Secret key holding the accepted keys, one per line. jwt: the HS256 secret. " +
            "Without it in apiKey mode the operator generates Secret NAME-auth once and never overwrites it.",
        ),
      jwt: jwtSpec.optional(),
      failedAttempts: z
        .strictObject({
          perMinute: z
            .int()
            .min(0)
            .max(10_000)
            .describe(
              "Failed authentications per minute one client address may make; 0 turns the limit off.",
            ),
          burst: z.int().min(1).max(10_000).optional().describe("Failures allowed in a burst. Default: 20."),
        })
        .optional()
        .describe(
          "Limit on failed authentication per client address, per replica (429 with Retry-After). Default: 10 per minute, burst 20.",
        ),
    })
    .describe("Who may call the agent."),
  [
    {
      cel: "!has(self.jwt) || self.mode == 'jwt'",
      message: "jwt settings need mode: jwt",
      field: "jwt",
      reason: "FieldValueForbidden",
      holds: (auth) => auth.jwt === undefined || auth.mode === "jwt",
    },
    {
      cel: "self.mode != 'jwt' || ((has(self.jwt) && has(self.jwt.jwksURL)) != has(self.secretRef))",
      message: "mode jwt needs exactly one of jwt.jwksURL or a secretRef holding the HS256 secret",
      field: "mode",
      holds: (auth) =>
        auth.mode !== "jwt" || (auth.jwt?.jwksURL !== undefined) !== (auth.secretRef !== undefined),
    },
    {
      cel: "self.mode != 'none' || !has(self.secretRef)",
      message: "secretRef is not used with mode: none",
      field: "secretRef",
      reason: "FieldValueForbidden",
      holds: (auth) => auth.mode !== "none" || auth.secretRef === undefined,
    },
  ],
);

export const rateLimitSpec = z
  .strictObject({
    requestsPerMinute: z.int().min(1).describe("Sustained requests per minute per key, across all replicas."),
    burst: z
      .int()
      .min(1)
      .optional()
      .describe("Requests a key may send at once (token bucket size); default: requestsPerMinute."),
    key: z
      .enum(["client", "ip", "global"])
      .default("client")
      .describe(
        "client: per API key or JWT subject, else client IP. ip: per client IP. global: one budget for the whole agent.",
      ),
  })
  .describe("Rate limit enforced in Redis, so it holds across replicas. Needs agent.memory.redis.");
