/**
 * The events of a server-sent event stream, parsed by `eventsource-parser`.
 *
 * Laxer than the SSE spec at the very end: an event missing its closing blank line still counts,
 * because endpoints that close right after `data: [DONE]` are common.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export type { EventSourceMessage } from "eventsource-parser";

export async function* serverSentEvents(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<EventSourceMessage, void, undefined> {
  const ready: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => ready.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift() as EventSourceMessage;
  }
  parser.feed(decoder.decode());
  parser.reset({ consume: true });
  yield* ready;
}
