import { describe, expect, it } from "vitest";
import { readCappedText } from "../../../agent-runtime/tools/read-capped-text.ts";

function streamOf(chunks: string[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  const encoder = new TextEncoder();
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[index++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

describe("readCappedText", () => {
  it("reads a body under the cap whole, multi-byte characters split across chunks included", async () => {
    const bytes = new TextEncoder().encode("héllo");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 2));
        controller.enqueue(bytes.subarray(2));
        controller.close();
      },
    });
    expect(await readCappedText(stream, 100)).toEqual({ text: "héllo", truncated: false });
  });

  it("stops at the cap and cancels the rest of the body", async () => {
    const body = streamOf(["abcd", "efgh", "ijkl", "never read"]);
    expect(await readCappedText(body.stream, 6)).toEqual({ text: "abcdef", truncated: true });
    expect(body.cancelled()).toBe(true);
  });

  it("takes a missing body as empty", async () => {
    expect(await readCappedText(null, 6)).toEqual({ text: "", truncated: false });
  });
});
