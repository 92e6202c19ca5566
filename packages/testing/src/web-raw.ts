// Hand-driven gRPC-Web exchanges for protocol tests: one HTTP/1.1 (or HTTPS) POST with exactly the
// headers and body given, and a reader for gRPC-Web response bodies.
import * as http from "node:http";
import * as https from "node:https";
import { WebResponseBody } from "@grpc-ts/core/grpc-web";
import { encodeEnvelope } from "@grpc-ts/core/protocol";

export interface Http1Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The chunks as they arrived (for streaming checks). */
  readonly chunks: readonly Buffer[];
}

export interface Http1RequestOptions {
  readonly method?: string;
  readonly body?: Uint8Array | string;
  /** For https URLs: the CA to trust. */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

/** One HTTP/1.1 request on a fresh connection (no keep-alive), bounded in time. */
export function http1Request(
  url: string,
  headers: http.OutgoingHttpHeaders,
  options: Http1RequestOptions = {},
): Promise<Http1Response> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith("https:");
    const init = {
      method: options.method ?? "POST",
      headers,
      agent: false as const,
      ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
    };
    const req = (secure ? https : http).request(url, init, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), chunks });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`HTTP/1.1 request to ${url} not answered within the bound`));
    }, options.timeoutMs ?? 5000);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(options.body);
  });
}

/** gRPC-Web request headers for a test (binary protobuf unless told). */
export function webHeaders(extra: http.OutgoingHttpHeaders = {}): http.OutgoingHttpHeaders {
  return { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", ...extra };
}

/** The envelopes of a request body, base64 in text mode. */
export function webBody(messages: readonly Uint8Array[], text = false): Buffer {
  const raw = Buffer.concat(messages.map((m) => encodeEnvelope(0, m)));
  return text ? Buffer.from(raw.toString("base64"), "latin1") : raw;
}

/** Reads a gRPC-Web response body: its data messages (copies) and the trailer frame's entries. */
export function readWebBody(
  body: Uint8Array,
  text = false,
): { messages: Uint8Array[]; trailers: Record<string, string | string[]> } {
  const reader = new WebResponseBody({ text });
  const messages: Uint8Array[] = [];
  reader.push(body, (p) => messages.push(p.slice()));
  return { messages, trailers: reader.end() };
}
