import { describe, expect, it } from "vitest";
import { toStructuralSchema, UnsupportedSchemaError } from "../../../operator/api/structural-schema.ts";

describe("toStructuralSchema", () => {
  it.each([
    ["const becomes a one-value enum", { type: "string", const: "v1" }, { type: "string", enum: ["v1"] }],
    [
      "exclusiveMinimum becomes the OpenAPI v3.0 boolean form",
      { type: "number", exclusiveMinimum: 0 },
      { type: "number", minimum: 0, exclusiveMinimum: true },
    ],
    [
      "the safe-integer bounds zod adds are dropped",
      { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 },
      { type: "integer" },
    ],
    [
      "additionalProperties false is dropped (the API server prunes unknown fields)",
      { type: "object", properties: {}, additionalProperties: false },
      { type: "object", properties: {} },
    ],
    [
      "a record keeps its value schema and loses propertyNames",
      { type: "object", propertyNames: { type: "string" }, additionalProperties: { type: "string" } },
      { type: "object", additionalProperties: { type: "string" } },
    ],
    ["formats Kubernetes does not know are dropped", { type: "string", format: "email" }, { type: "string" }],
    [
      "empty lists the API server would not store are dropped, an empty default is kept",
      { type: "array", "x-kubernetes-validations": [], required: [], default: [] },
      { type: "array", default: [] },
    ],
  ])("%s", (_name, input, expected) => {
    expect(toStructuralSchema(input)).toEqual(expected);
  });

  it("writes int-or-string as Kubernetes does", () => {
    expect(
      toStructuralSchema({
        anyOf: [
          { type: "integer", minimum: 0 },
          { type: "string", pattern: "^a$" },
        ],
        "x-kubernetes-int-or-string": true,
        pattern: "^a$",
      }),
    ).toEqual({
      "x-kubernetes-int-or-string": true,
      pattern: "^a$",
      anyOf: [{ type: "integer" }, { type: "string" }],
    });
  });

  it.each([
    ["a plain union", { anyOf: [{ type: "string" }, { type: "number" }] }, /spec.x: anyOf/],
    [
      "an unknown keyword",
      { type: "string", contentEncoding: "base64" },
      /spec.x: keyword "contentEncoding"/,
    ],
    ["an untyped node", { description: "anything" }, /spec.x: every node needs a type/],
  ])("rejects %s, naming where", (_name, input, message) => {
    expect(() => toStructuralSchema(input, "spec.x")).toThrow(UnsupportedSchemaError);
    expect(() => toStructuralSchema(input, "spec.x")).toThrow(message);
  });
});
