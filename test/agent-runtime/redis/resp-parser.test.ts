import { describe, expect, it } from "vitest";
import {
  encodeCommand,
  RedisReplyError,
  RespParser,
  RespProtocolError,
} from "../../../agent-runtime/redis/resp-parser.ts";

const replies =
  "+OK\r\n-ERR wrong type\r\n:42\r\n:-3\r\n$5\r\nnaïv\r\n$-1\r\n*-1\r\n*0\r\n*3\r\n:1\r\n*2\r\n$1\r\na\r\n$0\r\n\r\n$-1\r\n";

function expected() {
  return ["OK", new RedisReplyError("ERR wrong type"), 42, -3, "naïv", null, null, [], [1, ["a", ""], null]];
}

describe("RespParser", () => {
  it("parses every reply type, nested arrays and nulls from one chunk", () => {
    expect(new RespParser().feed(Buffer.from(replies))).toEqual(expected());
  });

  it("gives the same replies when the bytes arrive one at a time, multi-byte characters split", () => {
    const parser = new RespParser();
    const bytes = Buffer.from(replies);
    const parsed = [];
    for (let i = 0; i < bytes.length; i++) parsed.push(...parser.feed(bytes.subarray(i, i + 1)));
    expect(parsed).toEqual(expected());
    expect(parser.pending).toBe(0);
  });

  it("keeps an incomplete reply until the rest arrives", () => {
    const parser = new RespParser();
    expect(parser.feed(Buffer.from("*2\r\n$3\r\nfoo\r\n$3\r\nba"))).toEqual([]);
    expect(parser.pending).toBeGreaterThan(0);
    expect(parser.feed(Buffer.from("r\r\n+OK\r\n"))).toEqual([["foo", "bar"], "OK"]);
  });

  it("returns error replies as values so they answer their own command", () => {
    const [error] = new RespParser().feed(Buffer.from("-NOSCRIPT No matching script\r\n"));
    expect(error).toBeInstanceOf(RedisReplyError);
    expect((error as Error).message).toBe("NOSCRIPT No matching script");
  });

  it("refuses bytes that are not RESP", () => {
    expect(() => new RespParser().feed(Buffer.from("HTTP/1.1 400 Bad Request\r\n"))).toThrow(
      RespProtocolError,
    );
    expect(() => new RespParser().feed(Buffer.from(":4x\r\n"))).toThrow(/expected an integer/);
  });
});

describe("encodeCommand", () => {
  it("encodes arguments as bulk strings with their byte lengths", () => {
    expect(encodeCommand(["SET", "k", "✓", 10])).toBe(
      "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n✓\r\n$2\r\n10\r\n",
    );
  });
});
