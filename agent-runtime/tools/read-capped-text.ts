/**
 * Reads at most `maxBytes` of a response body and cancels the rest, so a tool that answers
 * hundreds of megabytes costs the runtime `maxBytes`, not the whole answer.
 */
export type CappedText = { text: string; truncated: boolean };

export async function readCappedText(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<CappedText> {
  if (!body) return { text: "", truncated: false };
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let remaining = maxBytes;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), truncated: false };
      if (value.byteLength > remaining) {
        // A multi-byte character cut at the cap decodes to U+FFFD: harmless in a truncated excerpt.
        text += decoder.decode(value.subarray(0, remaining));
        await reader.cancel();
        return { text, truncated: true };
      }
      remaining -= value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}
