// A hand-driven node:http2 server for client protocol tests: each test scripts the response.
import * as http2 from "node:http2";
import { listenLoopback } from "./loopback.js";

export interface RawServer {
  readonly port: number;
  readonly target: string;
  /** Every request stream's headers, in order. */
  readonly requests: http2.IncomingHttpHeaders[];
  /** Destroys every session and stops listening. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and hands each request stream to `onStream`. */
export async function startRawServer(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
): Promise<RawServer> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  const requests: http2.IncomingHttpHeaders[] = [];
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    requests.push(headers);
    onStream(stream, headers);
  });
  const port = await listenLoopback(server);
  return {
    port,
    target: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Responds 200 application/grpc, writes the body chunks, then sends the trailers. */
export function answer(
  stream: http2.ServerHttp2Stream,
  body: readonly Uint8Array[],
  trailers: http2.OutgoingHttpHeaders,
  headers: http2.OutgoingHttpHeaders = {},
): void {
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", ...headers },
    { waitForTrailers: true },
  );
  stream.on("wantTrailers", () => stream.sendTrailers(trailers));
  for (const chunk of body) stream.write(chunk);
  stream.end();
}
