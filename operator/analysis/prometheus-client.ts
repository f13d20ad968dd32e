/**
 * Instant queries against the Prometheus HTTP API (`POST /api/v1/query`), over undici.
 *
 * A query must come down to one number: an empty vector or NaN (0/0, a revision without traffic)
 * is no data; a vector of several series is an error, since it cannot be compared with a bound.
 * Every failure becomes a `{ kind: "error" }` result with a message that names the cause; the
 * bearer token never appears in one.
 */
import { Agent, errors, request } from "undici";
import { z } from "zod";

export type QueryResult =
  | { kind: "value"; value: number }
  | { kind: "noData" }
  | { kind: "error"; message: string };

/** Evaluates one PromQL instant query at `time`. */
export type QueryFn = (query: string, time: Date) => Promise<QueryResult>;

/** Where and how to reach a Prometheus HTTP API. */
export type PrometheusTarget = {
  /**
   * Base URL; a path prefix (`https://host/prometheus`) is kept, `user:password@` is basic auth
   * and query parameters are sent with every query.
   */
  address: string;
  bearerToken?: string | undefined;
  /** PEM certificates to trust instead of the system's. */
  ca?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
};

export type PrometheusClient = { query: QueryFn; close(): Promise<void> };

export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/** A one-number answer is tiny; this only stops a runaway vector from filling memory. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const sample = z.tuple([z.number(), z.string()]);
const prometheusResponse = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.discriminatedUnion("resultType", [
      z.object({
        resultType: z.literal("vector"),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })),
      }),
      z.object({ resultType: z.literal("scalar"), result: sample }),
      z.object({ resultType: z.literal("matrix"), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal("string"), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal("error"), errorType: z.string(), error: z.string() }),
]);

export function createPrometheusClient(
  target: PrometheusTarget,
  options: { timeoutMs?: number } = {},
): PrometheusClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const base = new URL(target.address);
  const url = new URL(`${base.pathname.replace(/\/+$/, "")}/api/v1/query`, base.origin);
  const where = `Prometheus at ${base.origin}${base.pathname.replace(/\/+$/, "")}`;
  const dispatcher = new Agent({
    connections: 4,
    maxResponseSize: MAX_RESPONSE_BYTES,
    connect: {
      ...(target.ca === undefined ? {} : { ca: target.ca }),
      rejectUnauthorized: target.insecureSkipVerify !== true,
    },
  });
  const headers: Record<string, string> = {
    accept: "application/json",
    "content-type": "application/x-www-form-urlencoded",
  };
  // user:password in the address is basic auth (a bearer token, when given, takes its place).
  if (target.bearerToken !== undefined) headers.authorization = `Bearer ${target.bearerToken}`;
  else if (base.username !== "") {
    const credentials = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }

  const query: QueryFn = async (promql, time) => {
    // Parameters in the address (Thanos' `dedup`, `partial_response`) go along with every query.
    const form = new URLSearchParams(base.searchParams);
    form.set("query", promql);
    form.set("time", (time.getTime() / 1000).toFixed(3));
    // Prometheus stops evaluating at this deadline too, instead of working for nobody.
    form.set("timeout", `${Math.max(1, Math.floor(timeoutMs / 1000))}s`);
    let status: number;
    let contentType: string;
    let text: string;
    try {
      const response = await request(url, {
        method: "POST",
        headers,
        body: form.toString(),
        dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      contentType = String(response.headers["content-type"] ?? "no content type");
      text = await response.body.text();
    } catch (error) {
      return { kind: "error", message: `${where}${describeFailure(error, timeoutMs)}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const excerpt = text.slice(0, 200).replace(/\s+/g, " ").trim();
      return {
        kind: "error",
        message: `${where} answered ${status}${authHint(status)}, with a body that is not JSON (${contentType}): ${excerpt || "empty"}`,
      };
    }
    const parsed = prometheusResponse.safeParse(json);
    if (!parsed.success) {
      if (status >= 400) return { kind: "error", message: `${where} answered ${status}${authHint(status)}` };
      return { kind: "error", message: `${where} answered ${status} with JSON that is not a query result` };
    }
    const answer = parsed.data;
    if (answer.status === "error") {
      return {
        kind: "error",
        message: `${where} refused the query (${status} ${answer.errorType}): ${answer.error}`,
      };
    }
    return resultOf(answer.data);
  };

  return { query, close: () => dispatcher.close() };
}

/** Runs `use` with a client for `target` and closes the client afterwards. */
export async function withPrometheusClient<T>(
  target: PrometheusTarget,
  use: (query: QueryFn) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const client = createPrometheusClient(target, options);
  try {
    return await use(client.query);
  } finally {
    await client.close();
  }
}

type QueryData = Extract<z.infer<typeof prometheusResponse>, { status: "success" }>["data"];

function resultOf(data: QueryData): QueryResult {
  switch (data.resultType) {
    case "scalar":
      return numberOf(data.result[1]);
    case "vector": {
      const [first, ...others] = data.result;
      if (first === undefined) return { kind: "noData" };
      if (others.length > 0) {
        const shown = data.result.slice(0, 3).map((series) => seriesName(series.metric));
        return {
          kind: "error",
          message: `the query returned ${data.result.length} series (${shown.join(", ")}${data.result.length > 3 ? ", ..." : ""}); it must return one number, e.g. aggregate with sum(...)`,
        };
      }
      return numberOf(first.value[1]);
    }
    default:
      return {
        kind: "error",
        message: `the query returned a ${data.resultType}; it must return one number (an instant vector of one series or a scalar)`,
      };
  }
}

const INFINITIES: Record<string, number> = {
  "+Inf": Number.POSITIVE_INFINITY,
  Inf: Number.POSITIVE_INFINITY,
  "-Inf": Number.NEGATIVE_INFINITY,
};

/** Prometheus writes sample values as strings: "0.5", "NaN", "+Inf", "-Inf". */
function numberOf(value: string): QueryResult {
  const number = INFINITIES[value] ?? Number(value);
  // NaN is what 0/0 gives for a revision without traffic: nothing to judge.
  if (Number.isNaN(number)) return { kind: "noData" };
  return { kind: "value", value: number };
}

function seriesName(metric: Record<string, string>): string {
  const { __name__: name = "", ...labels } = metric;
  return `${name}{${Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(",")}}`;
}

function authHint(status: number): string {
  if (status === 401) return " Unauthorized: check the bearer token";
  if (status === 403) return " Forbidden: the bearer token may not query";
  return "";
}

/** What follows "Prometheus at ADDRESS" when no answer came: " unreachable: ...", ": no answer ...". */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `: no answer within ${timeoutMs / 1000} s`;
  }
  if (error instanceof errors.ResponseExceededMaxSizeError) {
    return `: the answer is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code;
  const detail = [cause?.code ?? code, cause?.message ?? (error as Error).message].filter(Boolean).join(" ");
  return ` unreachable: ${detail}`;
}
