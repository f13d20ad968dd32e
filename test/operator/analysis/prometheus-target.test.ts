import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolvePrometheusTarget, type SecretKeyRef } from "../../../operator/analysis/prometheus-target.ts";

const secrets: Record<string, Record<string, string>> = {
  "prom-token": { token: "s3cret-token\n", empty: "  " },
  "prom-ca": { "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
};
const readSecret = async (ref: SecretKeyRef) => secrets[ref.name]?.[ref.key];
const noOperatorPrometheus = { address: undefined, bearerTokenFile: undefined, caFile: undefined };

const dir = mkdtempSync(join(tmpdir(), "agentry-prometheus-target-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolvePrometheusTarget", () => {
  it("uses the analysis's address with its token and CA from Secrets", async () => {
    const resolved = await resolvePrometheusTarget(
      {
        address: "https://thanos.monitoring.svc/prometheus",
        bearerTokenSecretRef: { name: "prom-token", key: "token" },
        caSecretRef: { name: "prom-ca", key: "ca.crt" },
      },
      noOperatorPrometheus,
      readSecret,
    );
    expect(resolved).toEqual({
      kind: "target",
      target: {
        address: "https://thanos.monitoring.svc/prometheus",
        bearerToken: "s3cret-token",
        ca: secrets["prom-ca"]?.["ca.crt"],
      },
    });
  });

  it("never sends the operator's token or CA to an address from the AgentDeployment", async () => {
    const tokenFile = join(dir, "operator-token");
    writeFileSync(tokenFile, "operator-token");
    const resolved = await resolvePrometheusTarget(
      { address: "http://elsewhere:9090", insecureSkipVerify: undefined },
      { address: "https://prometheus:9090", bearerTokenFile: tokenFile, caFile: undefined },
      readSecret,
    );
    expect(resolved).toEqual({ kind: "target", target: { address: "http://elsewhere:9090" } });
  });

  it("falls back to the operator's address, reading its token file on every call", async () => {
    const tokenFile = join(dir, "token");
    const caFile = join(dir, "ca.crt");
    writeFileSync(tokenFile, "first\n");
    writeFileSync(caFile, "PEM");
    const operator = { address: "https://prometheus:9090", bearerTokenFile: tokenFile, caFile };
    expect(await resolvePrometheusTarget(undefined, operator, readSecret)).toEqual({
      kind: "target",
      target: { address: "https://prometheus:9090", bearerToken: "first", ca: "PEM" },
    });
    writeFileSync(tokenFile, "rotated\n");
    const again = await resolvePrometheusTarget(undefined, operator, readSecret);
    expect(again.kind === "target" && again.target.bearerToken).toBe("rotated");
  });

  it("says what is missing", async () => {
    expect(await resolvePrometheusTarget(undefined, noOperatorPrometheus, readSecret)).toEqual({
      kind: "error",
      message:
        "no Prometheus address: set the analysis's prometheus.address or the operator's AGENTRY_PROMETHEUS_ADDRESS",
    });
    const address = "https://p:9090";
    expect(
      await resolvePrometheusTarget(
        { address, bearerTokenSecretRef: { name: "prom-token", key: "missing" } },
        noOperatorPrometheus,
        readSecret,
      ),
    ).toEqual({
      kind: "error",
      message:
        'prometheus.bearerTokenSecretRef: Secret "prom-token" has no key "missing" (or does not exist)',
    });
    expect(
      await resolvePrometheusTarget(
        { address, bearerTokenSecretRef: { name: "prom-token", key: "empty" } },
        noOperatorPrometheus,
        readSecret,
      ),
    ).toEqual({
      kind: "error",
      message: 'prometheus.bearerTokenSecretRef: key "empty" of Secret "prom-token" is empty',
    });
    const forbidden = async () => {
      throw new Error("secrets is forbidden");
    };
    expect(
      await resolvePrometheusTarget(
        { address, caSecretRef: { name: "prom-ca", key: "ca.crt" } },
        noOperatorPrometheus,
        forbidden,
      ),
    ).toEqual({
      kind: "error",
      message: 'prometheus.caSecretRef: cannot read Secret "prom-ca": secrets is forbidden',
    });
    expect(
      await resolvePrometheusTarget(
        undefined,
        { address, bearerTokenFile: join(dir, "absent"), caFile: undefined },
        readSecret,
      ),
    ).toEqual({
      kind: "error",
      message: `AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE: cannot read ${join(dir, "absent")}: ENOENT`,
    });
  });
});
