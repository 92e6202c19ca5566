// A hand-driven node:http2 client for protocol tests: it sends exactly the headers and bytes given,
// and reports exactly what came back.
import * as http2 from "node:http2";
import { encodeEnvelope } from "@grpc-ts/core/protocol";

export interface RawResponse {
  readonly headers: http2.IncomingHttpHeaders;
  readonly data: Buffer;
  /** undefined for a trailers-only response (or none). */
  readonly trailers: http2.IncomingHttpHeaders | undefined;
  readonly rstCode: number;
}

export interface RawRequestOptions {
  /** Body chunks, written in order. */
  readonly body?: readonly Uint8Array[];
  /** Half-close after the body (default true). */
  readonly end?: boolean;
  /** Bound on the whole exchange (default 5 s). */
  readonly timeoutMs?: number;
}

/** Standard gRPC request headers for a path, to be overridden by a test. */
export function grpcHeaders(path: string, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders {
  return {
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...extra,
  };
}

/** One length-prefixed message. */
export function envelope(payload: Uint8Array, flags = 0): Uint8Array {
  return encodeEnvelope(flags, payload);
}

/** Opens a session to a loopback port; close it with `session.close()` (or `destroy()`). */
export function rawConnect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.once("connect", () => {
      session.off("error", reject);
      session.on("error", () => {});
      resolve(session);
    });
    session.once("error", reject);
  });
}

/** One request on an open session. */
export function rawRequest(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: false });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      req.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`raw request to ${String(headers[":path"])} not answered within the bound`));
    }, options.timeoutMs ?? 5000);
    req.on("response", (h) => {
      responseHeaders = h;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("error", () => {});
    req.on("close", () => {
      clearTimeout(timer);
      resolve({ headers: responseHeaders, data: Buffer.concat(chunks), trailers, rstCode: req.rstCode ?? 0 });
    });
    for (const chunk of options.body ?? []) req.write(chunk);
    if (options.end ?? true) req.end();
  });
}

/** Connects, sends one request, and closes the session. */
export async function rawCall(
  port: number,
  headers: http2.OutgoingHttpHeaders,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const session = await rawConnect(port);
  try {
    return await rawRequest(session, headers, options);
  } finally {
    session.close();
  }
}

/** The status of a response: from the trailers, or from the headers of a trailers-only response. */
export function statusOf(res: RawResponse): { code: number | undefined; message: string | undefined } {
  const src = res.trailers ?? res.headers;
  const code = src["grpc-status"];
  const message = src["grpc-message"];
  return {
    code: code === undefined ? undefined : Number(code),
    message: typeof message === "string" ? decodeURIComponent(message) : undefined,
  };
}
