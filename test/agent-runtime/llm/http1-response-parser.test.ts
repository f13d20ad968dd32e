import { describe, expect, it } from "vitest";
import {
  Http1ResponseParser,
  HttpProtocolError,
  type ResponseHead,
} from "../../../agent-runtime/llm/http1-response-parser.ts";

type Seen = { heads: ResponseHead[]; body: string; ends: boolean[] };

/** Body pieces are kept as bytes and decoded at the end: a piece may split a character. */
type Collected = { heads: ResponseHead[]; pieces: Buffer[]; ends: boolean[] };
const seenOf = (collected: Collected): Seen => ({
  heads: collected.heads,
  body: Buffer.concat(collected.pieces).toString("utf8"),
  ends: collected.ends,
});

function parserFor(options: { bodyless?: boolean } = {}) {
  const collected: Collected = { heads: [], pieces: [], ends: [] };
  const parser = new Http1ResponseParser(
    {
      onHead: (head) => collected.heads.push(head),
      onBody: (chunk) => collected.pieces.push(Buffer.from(chunk)),
      onEnd: (keepAlive) => collected.ends.push(keepAlive),
    },
    options,
  );
  return {
    parser,
    get seen() {
      return seenOf(collected);
    },
  };
}

/** Feeds the text whole, and again one byte at a time: both must give the same result. */
function both(text: string, options: { bodyless?: boolean } = {}): Seen {
  const whole = parserFor(options);
  whole.parser.feed(Buffer.from(text));
  const bytewise = parserFor(options);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i++) bytewise.parser.feed(bytes.subarray(i, i + 1));
  expect(bytewise.seen).toEqual(whole.seen);
  return whole.seen;
}

describe("Http1ResponseParser", () => {
  it("reads a Content-Length body and lower-cases header names, joining repeats", () => {
    const seen = both(
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 8\r\n\r\n{"é":1}',
    );
    expect(seen.heads).toEqual([
      {
        status: 200,
        statusText: "OK",
        headers: { "content-type": "application/json", "x-a": "1, 2", "content-length": "8" },
      },
    ]);
    expect(seen.body).toBe('{"é":1}');
    expect(seen.ends).toEqual([true]);
  });

  it("decodes a chunked body, ignoring chunk extensions and trailers", () => {
    const seen = both(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\ndata:\r\n8\r\n first\n\n\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    expect(seen.body).toBe("data: first\n\n");
    expect(seen.ends).toEqual([true]);
  });

  it("skips interim 1xx answers", () => {
    const seen = both("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    expect(seen.heads.map((head) => head.status)).toEqual([201]);
    expect(seen.body).toBe("ok");
  });

  it("ends bodiless answers at the head: 204, 304, HEAD, Content-Length 0", () => {
    expect(both("HTTP/1.1 204 No Content\r\n\r\n").ends).toEqual([true]);
    expect(both("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").ends).toEqual([true]);
    expect(both("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", { bodyless: true }).ends).toEqual([true]);
    expect(both("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").ends).toEqual([true]);
  });

  it("does not keep a connection the server asked to close, or an HTTP/1.0 one", () => {
    expect(both("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx").ends).toEqual([false]);
    expect(both("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx").ends).toEqual([false]);
    expect(both("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx").ends).toEqual([
      true,
    ]);
  });

  it("reads a body without length until the connection closes", () => {
    const response = parserFor();
    response.parser.feed(Buffer.from("HTTP/1.1 200 OK\r\n\r\npart one, "));
    response.parser.feed(Buffer.from("part two"));
    expect(response.seen.ends).toEqual([]);
    response.parser.closed();
    expect(response.seen.body).toBe("part one, part two");
    expect(response.seen.ends).toEqual([false]);
  });

  it("says so when the connection closes in the middle of a response", () => {
    const { parser } = parserFor();
    parser.feed(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    expect(() => parser.closed()).toThrow(/closed before the response ended/);
  });

  it("refuses what is not HTTP/1.1 framing", () => {
    const bad = [
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
    ];
    for (const text of bad)
      expect(() => parserFor().parser.feed(Buffer.from(text)), text).toThrow(HttpProtocolError);
    expect(() => parserFor().parser.feed(Buffer.alloc(70_000, 65))).toThrow(/larger than 64 KiB/);
  });

  it("does not reuse a connection that sent more than the response", () => {
    const response = parserFor();
    response.parser.feed(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy"));
    expect(response.seen.ends).toEqual([false]);
    expect(() => response.parser.feed(Buffer.from("z"))).toThrow(/after the end/);
  });
});
