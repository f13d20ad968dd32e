/**
 * Incremental parser of Redis replies (RESP2). Feed it bytes as they arrive; it returns every
 * complete reply. Bulk strings come back as UTF-8 strings, the null bulk string and null array as
 * null, errors as `RedisReplyError` values (returned, not thrown: they answer one command).
 */
export class RedisReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisReplyError";
  }
}

export type RespValue = string | number | null | RedisReplyError | RespValue[];

const CR = 13;

/** Thrown for bytes that are not RESP: the connection cannot be trusted after that. */
export class RespProtocolError extends Error {
  constructor(message: string) {
    super(`redis protocol error: ${message}`);
    this.name = "RespProtocolError";
  }
}

type Parsed = { value: RespValue; end: number } | undefined;

export class RespParser {
  private buffer: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): RespValue[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const replies: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const parsed = this.parse(offset);
      if (!parsed) break;
      replies.push(parsed.value);
      offset = parsed.end;
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
    return replies;
  }

  /** Bytes received but not yet a complete reply. */
  get pending(): number {
    return this.buffer.length;
  }

  private line(offset: number): { text: string; end: number } | undefined {
    const cr = this.buffer.indexOf(CR, offset);
    if (cr === -1 || cr + 1 >= this.buffer.length) return undefined;
    return { text: this.buffer.toString("latin1", offset, cr), end: cr + 2 };
  }

  private integer(text: string): number {
    const value = Number(text);
    if (!Number.isInteger(value))
      throw new RespProtocolError(`expected an integer, got ${JSON.stringify(text)}`);
    return value;
  }

  private parse(offset: number): Parsed {
    if (offset >= this.buffer.length) return undefined;
    const type = this.buffer[offset];
    const header = this.line(offset + 1);
    if (!header) return undefined;
    switch (type) {
      case 43: // +
        return { value: header.text, end: header.end };
      case 45: // -
        return {
          value: new RedisReplyError(this.buffer.toString("utf8", offset + 1, header.end - 2)),
          end: header.end,
        };
      case 58: // :
        return { value: this.integer(header.text), end: header.end };
      case 36: {
        // $
        const length = this.integer(header.text);
        if (length === -1) return { value: null, end: header.end };
        const end = header.end + length + 2;
        if (end > this.buffer.length) return undefined;
        return { value: this.buffer.toString("utf8", header.end, header.end + length), end };
      }
      case 42: {
        // *
        const count = this.integer(header.text);
        if (count === -1) return { value: null, end: header.end };
        const items: RespValue[] = [];
        let end = header.end;
        for (let i = 0; i < count; i++) {
          const item = this.parse(end);
          if (!item) return undefined;
          items.push(item.value);
          end = item.end;
        }
        return { value: items, end };
      }
      default:
        throw new RespProtocolError(`unexpected reply type byte ${type}`);
    }
  }
}

/** One command in the request format: an array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): string {
  let encoded = `*${args.length}\r\n`;
  for (const arg of args) {
    const text = typeof arg === "string" ? arg : String(arg);
    encoded += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return encoded;
}
