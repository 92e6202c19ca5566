// The ceiling for clients on node:http2: a hand-written unary loop on one session that sends the
// pre-encoded request envelope, collects the response and checks its length and grpc-status.
import * as http2 from "node:http2";
import { unaryRequestEnvelope } from "../lib/wire.js";
import { runClientChild } from "./client-driver.js";

const request = unaryRequestEnvelope();
const headers = {
  ":method": "POST",
  ":path": "/grpcts.bench.Bench/Unary",
  "content-type": "application/grpc",
  te: "trailers",
};

runClientChild((port) => {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  return {
    unary(body) {
      return new Promise<number>((resolve, reject) => {
        const stream = session.request(headers);
        const chunks: Buffer[] = [];
        let status: string | undefined;
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("trailers", (t) => {
          status = t["grpc-status"] as string | undefined;
        });
        stream.on("error", reject);
        stream.on("end", () => {
          if (status !== "0") {
            reject(new Error(`grpc-status ${status}`));
            return;
          }
          const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          // The echoed envelope: 5 bytes of prefix, 2 of protobuf tag and length, then the body.
          resolve(data.length === request.length ? body.length : data.length);
        });
        stream.end(request);
      });
    },
    close() {
      session.close();
    },
  };
});
