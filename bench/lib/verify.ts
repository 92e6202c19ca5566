// One real call before a server is measured: h2load counts HTTP responses, not gRPC statuses, so a
// server that answered every call with an error would look fast. This checks the status and bytes.
import * as http2 from "node:http2";

export interface CheckedCall {
  readonly path: string;
  readonly request: Uint8Array;
  /** The exact response body expected (all DATA frames joined). */
  readonly expected: Uint8Array;
}

export function verifyCall(port: number, call: CheckedCall, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const fail = (e: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () => fail(new Error(`no answer to ${call.path} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    session.on("error", fail);
    const stream = session.request({
      ":method": "POST",
      ":path": call.path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("trailers", (t) => {
      status = String(t["grpc-status"]);
    });
    stream.on("error", fail);
    stream.on("end", () => {
      clearTimeout(timer);
      session.close();
      const body = Buffer.concat(chunks);
      if (status !== "0") reject(new Error(`${call.path}: grpc-status ${status}, not 0`));
      else if (!body.equals(call.expected))
        reject(
          new Error(
            `${call.path}: response of ${body.length} bytes differs from the expected ${call.expected.length}`,
          ),
        );
      else resolve();
    });
    stream.end(call.request);
  });
}
