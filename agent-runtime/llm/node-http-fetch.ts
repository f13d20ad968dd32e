/**
 * The `fetch` the openai SDK uses to reach the model endpoint: node:http(s) with keep-alive
 * agents. Measured on the benchmark's stub, Node's built-in fetch (undici behind WHATWG streams)
 * costs about twice the CPU per call; the model call is the runtime's hottest path.
 *
 * JSON answers are buffered and handed over as one chunk; event streams are passed through as a
 * web stream so tokens arrive as they are produced. Anything this does not handle (streaming
 * request bodies) goes to the built-in fetch.
 *
 * Callers abort through `init.callSignal` (passed via the SDK's per-request `fetchOptions`) rather
 * than the SDK's `signal` option: given a signal, the SDK composes it with `AbortSignal.any`,
 * which under load keeps every request's objects alive past young-generation GCs (measured:
 * 10-30 ms scavenges at 500 rps) and costs CPU.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function headersOf(message: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

function plainHeaders(init: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  if (init instanceof Headers) {
    init.forEach((value, name) => {
      out[name] = value;
    });
  } else if (Array.isArray(init)) {
    for (const [name, value] of init) if (name !== undefined && value !== undefined) out[name] = value;
  } else {
    Object.assign(out, init);
  }
  return out;
}

function abortError(signal: AbortSignal | null | undefined): Error {
  const error = new Error("The operation was aborted", { cause: signal?.reason });
  error.name = "AbortError";
  return error;
}

/** The extra `RequestInit` field this fetch honours, next to the SDK's own `signal`. */
export type CallSignalInit = { callSignal?: AbortSignal };

export function createNodeHttpFetch(options: { maxSockets?: number } = {}): typeof fetch {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    scheduling: "lifo" as const,
  };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);

  return (input, init) => {
    const body = init?.body;
    if (
      (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) ||
      input instanceof Request
    ) {
      return fetch(input, init);
    }
    const url = input instanceof URL ? input : new URL(input);
    const secure = url.protocol === "https:";
    const sdkSignal = init?.signal ?? undefined;
    const callSignal = (init as CallSignalInit | undefined)?.callSignal;
    return new Promise<Response>((resolve, reject) => {
      if (sdkSignal?.aborted) return reject(abortError(sdkSignal));
      if (callSignal?.aborted) return reject(abortError(callSignal));
      const headers = plainHeaders(init?.headers);
      if (body !== undefined && body !== null) headers["content-length"] = String(Buffer.byteLength(body));
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init?.method ?? "GET",
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      const aborted = () => (callSignal?.aborted ? callSignal : sdkSignal?.aborted ? sdkSignal : undefined);
      const onAbort = () => req.destroy(abortError(aborted()));
      sdkSignal?.addEventListener("abort", onAbort, { once: true });
      callSignal?.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        sdkSignal?.removeEventListener("abort", onAbort);
        callSignal?.removeEventListener("abort", onAbort);
      };
      req.once("error", (error) => {
        done();
        const signal = aborted();
        reject(signal ? abortError(signal) : error);
      });
      req.once("response", (res) => {
        const status = res.statusCode ?? 502;
        const responseHeaders = headersOf(res);
        const init = { status, statusText: res.statusMessage ?? "", headers: responseHeaders };
        if (NULL_BODY_STATUSES.has(status)) {
          res.resume();
          done();
          return resolve(new Response(null, init));
        }
        if ((responseHeaders.get("content-type") ?? "").includes("text/event-stream")) {
          // The request's abort listener stays until the stream ends, so an abort cuts the stream.
          res.once("close", done);
          return resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, init));
        }
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("end", () => {
          done();
          resolve(new Response(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), init));
        });
        res.once("error", (error) => {
          done();
          const signal = aborted();
          reject(signal ? abortError(signal) : error);
        });
      });
      req.end(body ?? undefined);
    });
  };
}
