// The script of the browser test page (bundled with esbuild at test time): it calls the grpc-ts
// server with @grpc-ts/web (both formats) and with Google's grpc-web runtime (text mode), and
// reports what happened as plain JSON for the test to check. Nothing here asserts.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, RpcError } from "@grpc-ts/core";
import { createGrpcWebTransport } from "@grpc-ts/web";
import * as grpcWeb from "grpc-web";
import {
  Echo,
  type EchoRequest,
  EchoRequestSchema,
  type EchoResponse,
  EchoResponseSchema,
} from "../../gen/echo_pb.js";

export interface ErrorResult {
  readonly code: number;
  readonly message: string;
  readonly detailTypes: readonly string[];
  readonly metadata: Record<string, string | string[]>;
}

function errorResult(e: unknown): ErrorResult {
  const err = RpcError.from(e);
  return {
    code: err.code,
    message: err.rawMessage,
    detailTypes: err.details.map((d) => d.typeUrl),
    metadata: err.metadata.toJSON(),
  };
}

async function settle<T>(p: Promise<T>): Promise<{ ok: T } | { error: ErrorResult }> {
  try {
    return { ok: await p };
  } catch (e) {
    return { error: errorResult(e) };
  }
}

/** Runs every scenario with one format of @grpc-ts/web. */
async function ours(baseUrl: string, format: "binary" | "text") {
  const client = createClient(Echo, createGrpcWebTransport({ baseUrl, format }));
  const headers: Record<string, string | string[]>[] = [];
  const trailers: Record<string, string | string[]>[] = [];
  const unary = await settle(
    client
      .unary(
        { message: `hello ${format}`, id: 42n },
        {
          metadata: { "x-page": format, "x-page-bin": Uint8Array.of(1, 2, 3) },
          onHeader: (h) => headers.push(h.toJSON()),
          onTrailer: (t) => trailers.push(t.toJSON()),
        },
      )
      .then((r) => ({ message: r.message, id: String(r.id) })),
  );

  // Lockstep: the server sends message i+1 only after this page acknowledges message i with a
  // separate call, so the stream can only finish if each message reaches the page on its own.
  const lockstep: number[] = [];
  const lockstepResult = await settle(
    (async () => {
      for await (const m of client.serverStream({ message: `lockstep-${format}`, count: 4 })) {
        lockstep.push(m.index);
        await client.unary({ message: `ack-${format}:${m.index}` });
      }
    })(),
  );

  // Timed: the server waits 300 ms between messages; each arrival time is recorded here.
  const arrivals: number[] = [];
  const timedResult = await settle(
    (async () => {
      for await (const _ of client.serverStream({ message: `timed-${format}`, count: 4, delayMs: 300 }))
        arrivals.push(Date.now());
    })(),
  );

  const error = await settle(
    client.unary({ failCode: Code.FAILED_PRECONDITION, failMessage: `not now (${format}) ✗` }),
  );
  const streamError = await settle(
    (async () => {
      let n = 0;
      for await (const _ of client.serverStream({ count: 2, failCode: Code.ABORTED, failMessage: "stop" }))
        n++;
      return n;
    })(),
  );

  const t0 = Date.now();
  const deadline = await settle(client.unary({ message: `hang-${format}-deadline` }, { timeoutMs: 400 }));
  const deadlineMs = Date.now() - t0;

  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const cancel = await settle(client.unary({ message: `hang-${format}-cancel` }, { signal: ac.signal }));

  const bidi = await settle(
    (async () => {
      for await (const _ of client.bidi([{ message: "x" }])) {
        // not reached
      }
    })(),
  );
  const clientStream = await settle(
    client.clientStream([{ message: "a" }, { message: "b" }, { message: "c" }]).then((r) => r.message),
  );

  return {
    unary,
    headers,
    trailers,
    lockstep,
    lockstepResult,
    arrivals,
    timedResult,
    error,
    streamError,
    deadline,
    deadlineMs,
    cancel,
    bidi,
    clientStream,
  };
}

/** Google's grpc-web runtime (XHR, text mode by default), with protobuf-es for the messages. */
async function google(baseUrl: string) {
  const gw = new grpcWeb.GrpcWebClientBase({ format: "text" });
  const reqType = Object as unknown as new (...args: unknown[]) => EchoRequest;
  const resType = Object as unknown as new (...args: unknown[]) => EchoResponse;
  const serialize = (r: EchoRequest) => toBinary(EchoRequestSchema, r);
  const deserialize = (b: Uint8Array) => fromBinary(EchoResponseSchema, b);
  const unaryDesc = new grpcWeb.MethodDescriptor(
    "/grpcts.test.Echo/Unary",
    grpcWeb.MethodType.UNARY,
    reqType,
    resType,
    serialize,
    deserialize,
  );
  const streamDesc = new grpcWeb.MethodDescriptor(
    "/grpcts.test.Echo/ServerStream",
    grpcWeb.MethodType.SERVER_STREAMING,
    reqType,
    resType,
    serialize,
    deserialize,
  );
  const unary = await gw
    .unaryCall(
      `${baseUrl}/grpcts.test.Echo/Unary`,
      create(EchoRequestSchema, { message: "from grpc-web", id: 7n }),
      { "x-page": "google" },
      unaryDesc,
    )
    .then(
      (r) => ({ ok: { message: r.message, id: String(r.id) } }),
      (e: grpcWeb.RpcError) => ({ error: { code: e.code, message: e.message } }),
    );
  const error = await gw
    .unaryCall(
      `${baseUrl}/grpcts.test.Echo/Unary`,
      create(EchoRequestSchema, { failCode: Code.NOT_FOUND, failMessage: "gone" }),
      {},
      unaryDesc,
    )
    .then(
      () => ({ code: 0, message: "" }),
      (e: grpcWeb.RpcError) => ({ code: e.code, message: e.message }),
    );
  const stream = await new Promise<{ indexes: number[]; status: number; error?: string }>((resolve) => {
    const indexes: number[] = [];
    let status = -1;
    const s = gw.serverStreaming(
      `${baseUrl}/grpcts.test.Echo/ServerStream`,
      create(EchoRequestSchema, { message: "gw", count: 3 }),
      {},
      streamDesc,
    );
    s.on("data", (r) => indexes.push(r.index));
    s.on("status", (st) => {
      status = st.code;
    });
    s.on("error", (e) => resolve({ indexes, status, error: `${e.code} ${e.message}` }));
    s.on("end", () => resolve({ indexes, status }));
  });
  return { unary, error, stream };
}

/** Entry point, called by the test through the page. */
async function runAll(baseUrl: string) {
  return {
    binary: await ours(baseUrl, "binary"),
    text: await ours(baseUrl, "text"),
    google: await google(baseUrl),
  };
}

export type PageResults = Awaited<ReturnType<typeof runAll>>;

(globalThis as { runAll?: typeof runAll }).runAll = runAll;
