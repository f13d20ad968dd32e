/**
 * Sends raw bytes to an HTTP server and reads until it closes the connection, for requests no
 * HTTP client would send (oversized or malformed headers).
 */
import { connect } from "node:net";

export async function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => {});
  socket.write(request);
  let answer = "";
  for await (const chunk of socket) answer += String(chunk);
  return answer;
}
