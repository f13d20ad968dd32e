import { describe, expect, it } from "vitest";
import { SseDataParser } from "../../../agent-runtime/llm/sse-data-parser.ts";

describe("SseDataParser", () => {
  it("returns an event only once its blank line has arrived, across arbitrary chunk boundaries", () => {
    const parser = new SseDataParser();
    expect(parser.feed("da")).toEqual([]);
    expect(parser.feed('ta: {"x"')).toEqual([]);
    expect(parser.feed(":1}\n")).toEqual([]);
    expect(parser.feed("\ndata: [DONE]\n\n")).toEqual([
      { event: undefined, data: '{"x":1}' },
      { event: undefined, data: "[DONE]" },
    ]);
  });

  it("handles CRLF, a missing space after the colon, comments, ids and field-only lines", () => {
    const parser = new SseDataParser();
    expect(parser.feed(": ping\r\nid: 7\r\nretry: 10\r\nevent: delta\r\ndata:a\r\ndata\r\n\r\n")).toEqual([
      { event: "delta", data: "a\n" },
    ]);
  });

  it("ignores blank lines without data, and resets the event name after each event", () => {
    const parser = new SseDataParser();
    expect(parser.feed("\n\nevent: error\n\ndata: x\n\n")).toEqual([{ event: undefined, data: "x" }]);
  });

  it("flushes an event whose blank line, or even newline, never came when the stream ends", () => {
    const parser = new SseDataParser();
    parser.feed("data: [DONE]");
    expect(parser.end()).toEqual([{ event: undefined, data: "[DONE]" }]);
    parser.feed("data: complete line\n");
    expect(parser.end()).toEqual([{ event: undefined, data: "complete line" }]);
    expect(parser.end()).toEqual([]);
  });
});
