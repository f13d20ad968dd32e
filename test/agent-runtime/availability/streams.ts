/**
 * Long-running turns against a runtime process, held open in the background: streamed answers read
 * as they come, ended by hanging up; and timing of anything else the runtime answers meanwhile.
 */
import { metricValue } from "../test-runtime.ts";

export type OpenStream = {
  /** Resolves with the whole event stream once the runtime ends it (or with what came before a hang-up). */
  text: Promise<string>;
  /** Hangs up. */
  close(): void;
};

/** POSTs a streamed turn and reads it in the background. */
export function openStream(url: string, body: object, headers: Record<string, string> = {}): OpenStream {
  const controller = new AbortController();
  const text = (async () => {
    let received = "";
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ ...body, stream: true }),
        signal: controller.signal,
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) received += decoder.decode(chunk, { stream: true });
    } catch {
      // hung up by close()
    }
    return received;
  })();
  return { text, close: () => controller.abort() };
}

/** Runs `work` and says how long it took, in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** One sample of the runtime's /metrics, by the start of its line (name and first labels). */
export async function scrapeValue(runtimeUrl: string, prefix: string): Promise<number> {
  return metricValue(await (await fetch(`${runtimeUrl}/metrics`)).text(), prefix);
}

/** A model answer of `words` words: streamed one word per chunk, it lasts `words` x chunkDelayMs. */
export function longAnswer(words: number): string {
  return Array.from({ length: words }, (_, index) => `word${index}`).join(" ");
}
