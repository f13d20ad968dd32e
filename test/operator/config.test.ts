import { describe, expect, it } from "vitest";
import { OperatorConfigError, parseOperatorConfig } from "../../operator/config.ts";

describe("parseOperatorConfig", () => {
  it("has defaults for everything", () => {
    const config = parseOperatorConfig({ POD_NAME: "agentry-0" });
    expect(config).toMatchObject({
      defaultImage: undefined,
      namespaces: [],
      workers: 4,
      leaderElection: true,
      leaseNamespace: "default",
      leaseName: "agentry-operator",
      identity: "agentry-0",
      http: { host: "0.0.0.0", port: 8081 },
      clusterDomain: "cluster.local",
      resyncMs: 600_000,
      shutdownMs: 20_000,
    });
  });

  it("reads namespaces, the lease namespace from the downward API, and treats empty values as unset", () => {
    const config = parseOperatorConfig({
      AGENTRY_WATCH_NAMESPACES: "agents, team-a ,",
      POD_NAMESPACE: "agentry-system",
      AGENTRY_RUNTIME_IMAGE: "",
      AGENTRY_LEADER_ELECTION: "false",
    });
    expect(config.namespaces).toEqual(["agents", "team-a"]);
    expect(config.leaseNamespace).toBe("agentry-system");
    expect(config.defaultImage).toBeUndefined();
    expect(config.leaderElection).toBe(false);
  });

  it("lists every bad variable at once", () => {
    let error: unknown;
    try {
      parseOperatorConfig({ AGENTRY_WORKERS: "many", AGENTRY_HTTP_PORT: "70000", AGENTRY_LOG_LEVEL: "loud" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OperatorConfigError);
    const message = (error as Error).message;
    expect(message).toContain("AGENTRY_WORKERS");
    expect(message).toContain("AGENTRY_HTTP_PORT");
    expect(message).toContain("AGENTRY_LOG_LEVEL");
  });

  it("refuses a default runtime image that is not an image reference", () => {
    expect(() => parseOperatorConfig({ AGENTRY_RUNTIME_IMAGE: "not a valid ref!!" })).toThrow(
      "AGENTRY_RUNTIME_IMAGE: must be an image reference",
    );
    expect(
      parseOperatorConfig({ AGENTRY_RUNTIME_IMAGE: "localhost:5000/agent-runtime:dev" }).defaultImage,
    ).toBe("localhost:5000/agent-runtime:dev");
  });

  it("reads the default Prometheus of analyses, and refuses its token or CA without it", () => {
    expect(parseOperatorConfig({}).prometheus).toEqual({
      address: undefined,
      bearerTokenFile: undefined,
      caFile: undefined,
    });
    expect(
      parseOperatorConfig({
        AGENTRY_PROMETHEUS_ADDRESS: "https://prometheus.monitoring.svc:9090",
        AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE: "/var/run/secrets/prometheus/token",
        AGENTRY_PROMETHEUS_CA_FILE: "/etc/prometheus-ca/ca.crt",
      }).prometheus,
    ).toEqual({
      address: "https://prometheus.monitoring.svc:9090",
      bearerTokenFile: "/var/run/secrets/prometheus/token",
      caFile: "/etc/prometheus-ca/ca.crt",
    });
    expect(() => parseOperatorConfig({ AGENTRY_PROMETHEUS_CA_FILE: "/ca.crt" })).toThrow(
      "AGENTRY_PROMETHEUS_CA_FILE: needs AGENTRY_PROMETHEUS_ADDRESS",
    );
    expect(() => parseOperatorConfig({ AGENTRY_PROMETHEUS_ADDRESS: "prometheus:9090" })).toThrow(
      "AGENTRY_PROMETHEUS_ADDRESS",
    );
  });
});
