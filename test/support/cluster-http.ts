import { readFileSync } from "node:fs";
import { request } from "node:https";

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** For the self-signed serving certificates the controller manager and scheduler make. */
  insecure?: boolean;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** GET over http or https with optional client certificates; never throws on a status code. */
export async function httpGet(url: string, tls: TlsFiles = {}, timeoutMs = 2_000): Promise<HttpResult> {
  if (url.startsWith("http://")) {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: !tls.insecure,
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

/** True when a GET returns 200; connection errors count as "not yet". */
export async function isHealthy(url: string, tls: TlsFiles = {}): Promise<boolean> {
  try {
    return (await httpGet(url, tls)).status === 200;
  } catch {
    return false;
  }
}
