/**
 * Incremental parser of a server-sent event stream, as model endpoints send streamed completions.
 * Feed it text as it arrives; it returns each event once its blank line has arrived.
 * Lines end in LF or CRLF; comments and the `id`/`retry` fields are ignored.
 */
export type ServerSentEvent = { event: string | undefined; data: string };

export class SseDataParser {
  private buffer = "";
  private data: string[] = [];
  private event: string | undefined;

  feed(text: string): ServerSentEvent[] {
    const buffer = this.buffer + text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (let newline = buffer.indexOf("\n"); newline !== -1; newline = buffer.indexOf("\n", start)) {
      const end = newline > start && buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.line(buffer.slice(start, end), events);
      start = newline + 1;
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
    return events;
  }

  /**
   * The stream ended. Laxer than the SSE spec, which drops an event missing its blank line:
   * endpoints that close right after `data: [DONE]` are common, so the last line still counts.
   */
  end(): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    const rest = this.buffer.endsWith("\r") ? this.buffer.slice(0, -1) : this.buffer;
    this.buffer = "";
    if (rest !== "") this.line(rest, events);
    this.line("", events);
    return events;
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push({ event: this.event, data: this.data.join("\n") });
      this.data = [];
      this.event = undefined;
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
  }
}
