/**
 * Incremental parser of one HTTP/1.1 response: the head, then the body as framed by
 * `Transfer-Encoding: chunked`, `Content-Length`, or the connection closing. Interim 1xx
 * responses are skipped. Feed it bytes as they arrive; it calls back with the head, each piece of
 * body, and the end (saying whether the connection can carry another request).
 */
export class HttpProtocolError extends Error {
  constructor(message: string) {
    super(`invalid HTTP response: ${message}`);
    this.name = "HttpProtocolError";
  }
}

export type ResponseHead = {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
};

export type ResponseCallbacks = {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  onEnd(keepAlive: boolean): void;
};

const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

type State =
  | { kind: "head" }
  | { kind: "length"; remaining: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; remaining: number }
  | { kind: "chunk-end" }
  | { kind: "trailers" }
  | { kind: "until-close" }
  | { kind: "done" };

export class Http1ResponseParser {
  private state: State = { kind: "head" };
  private buffer: Buffer = Buffer.alloc(0);
  private keepAlive = true;
  private readonly callbacks: ResponseCallbacks;
  /** A response to HEAD has no body, whatever its headers say. */
  private readonly bodyless: boolean;

  constructor(callbacks: ResponseCallbacks, options: { bodyless?: boolean } = {}) {
    this.callbacks = callbacks;
    this.bodyless = options.bodyless ?? false;
  }

  feed(chunk: Buffer): void {
    if (this.state.kind === "done") throw new HttpProtocolError("bytes after the end of the response");
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.step()) {
      // each step consumes what it can
    }
  }

  /** The connection closed: ends a body framed by the close, else says the response was cut. */
  closed(): void {
    if (this.state.kind === "until-close") {
      this.finish(false);
      return;
    }
    if (this.state.kind !== "done")
      throw new HttpProtocolError("the connection closed before the response ended");
  }

  private finish(keepAlive: boolean): void {
    this.state = { kind: "done" };
    this.callbacks.onEnd(keepAlive && this.keepAlive && this.buffer.length === 0);
  }

  private take(length: number): Buffer {
    const taken = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return taken;
  }

  /** Returns true when it made progress and may make more. */
  private step(): boolean {
    const state = this.state;
    switch (state.kind) {
      case "head": {
        const end = this.buffer.indexOf(HEAD_END);
        if (end === -1) {
          if (this.buffer.length > MAX_HEAD_BYTES) throw new HttpProtocolError("head larger than 64 KiB");
          return false;
        }
        const head = this.parseHead(this.take(end + 4).toString("latin1", 0, end));
        if (head.status < 200) return true; // 100 Continue, 103 Early Hints: the real answer follows
        this.callbacks.onHead(head);
        this.frameBody(head);
        return this.state.kind !== "done";
      }
      case "length": {
        if (this.buffer.length === 0) return false;
        const piece = this.take(Math.min(state.remaining, this.buffer.length));
        state.remaining -= piece.length;
        this.callbacks.onBody(piece);
        if (state.remaining === 0) this.finish(true);
        return false;
      }
      case "chunk-size": {
        const end = this.buffer.indexOf(CRLF);
        if (end === -1) {
          if (this.buffer.length > 1024) throw new HttpProtocolError("chunk size line too long");
          return false;
        }
        const line = this.take(end + 2).toString("latin1", 0, end);
        const sizeText = (line.split(";", 1)[0] ?? "").trim(); // chunk extensions are ignored
        if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText))
          throw new HttpProtocolError(`bad chunk size ${JSON.stringify(line)}`);
        const size = Number.parseInt(sizeText, 16);
        this.state = size === 0 ? { kind: "trailers" } : { kind: "chunk-data", remaining: size };
        return true;
      }
      case "chunk-data": {
        if (this.buffer.length === 0) return false;
        const piece = this.take(Math.min(state.remaining, this.buffer.length));
        state.remaining -= piece.length;
        this.callbacks.onBody(piece);
        if (state.remaining === 0) this.state = { kind: "chunk-end" };
        return true;
      }
      case "chunk-end": {
        if (this.buffer.length < 2) return false;
        if (this.buffer[0] !== 13 || this.buffer[1] !== 10)
          throw new HttpProtocolError("chunk not followed by CRLF");
        this.take(2);
        this.state = { kind: "chunk-size" };
        return true;
      }
      case "trailers": {
        const end = this.buffer.indexOf(CRLF);
        if (end === -1) return false;
        this.take(end + 2);
        if (end === 0) this.finish(true); // the empty line after the (ignored) trailer fields
        return this.state.kind !== "done";
      }
      case "until-close": {
        if (this.buffer.length > 0) this.callbacks.onBody(this.take(this.buffer.length));
        return false;
      }
      case "done":
        return false;
    }
  }

  private parseHead(text: string): ResponseHead {
    const lines = text.split("\r\n");
    const match = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
    if (!match) throw new HttpProtocolError(`bad status line ${JSON.stringify(lines[0]?.slice(0, 80))}`);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new HttpProtocolError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const connection = (headers.connection ?? "").toLowerCase();
    this.keepAlive = match[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    return { status: Number(match[2]), statusText: match[3] ?? "", headers };
  }

  private frameBody(head: ResponseHead): void {
    const { status, headers } = head;
    if (this.bodyless || status === 204 || status === 304) {
      this.finish(true);
      return;
    }
    const encoding = headers["transfer-encoding"];
    if (encoding !== undefined) {
      if (encoding.toLowerCase().split(",").at(-1)?.trim() !== "chunked") {
        throw new HttpProtocolError(`unsupported transfer-encoding ${encoding}`);
      }
      this.state = { kind: "chunk-size" };
      return;
    }
    const length = headers["content-length"];
    if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new HttpProtocolError(`bad content-length ${JSON.stringify(length)}`);
      const remaining = Number(length);
      if (remaining === 0) this.finish(true);
      else this.state = { kind: "length", remaining };
      return;
    }
    this.keepAlive = false;
    this.state = { kind: "until-close" };
  }
}
