/**
 * The interop client on @grpc/grpc-js (the interop peer):
 * `node --import tsx interop/peers/grpc-js/client.ts --server_host=H --server_port=N
 * --test_case=NAME|all|a,b [--use_tls=true] [--server_host_override=NAME] [--certs_dir=D]`.
 * Prints `PASS <case>` / `FAIL <case>: <reason>` per case (a fresh client per case) and exits 1
 * when any case failed.
 *
 * grpc-js gives an application no access to a received message's compressed flag, so
 * server_compressed_unary and server_compressed_streaming report themselves unsupported (an
 * expected gap of the matrix). Request compression uses the channel option
 * `grpc.default_compression_algorithm` and, per message, the write flag NoCompress.
 */
import { createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { Flags } from "../../src/args.js";
import { type CaseName, parseCaseList } from "../../src/cases.js";
import { defaultCertsDir, readCerts } from "../../src/certs.js";
import {
  BULK_FILL_KEY,
  BULK_FILL_VALUE,
  BULK_MESSAGE_SIZE,
  BULK_MESSAGES,
  bulkBody,
  COMPRESSED_STREAM_AGGREGATE_SIZE,
  CONCURRENT_CALLS,
  ECHO_INITIAL_KEY,
  ECHO_INITIAL_VALUE,
  ECHO_TRAILING_KEY,
  ECHO_TRAILING_VALUE,
  isAllZero,
  LARGE_REQUEST_SIZE,
  LARGE_RESPONSE_SIZE,
  SPECIAL_STATUS_MESSAGE,
  STREAM_AGGREGATE_SIZE,
  STREAM_REQUEST_SIZES,
  STREAM_RESPONSE_SIZES,
  TEST_STATUS_MESSAGE,
} from "../../src/constants.js";
import {
  type Empty,
  type InteropProtos,
  loadInteropProtos,
  type Method,
  type Payload,
  type SimpleRequest,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
} from "./proto.js";

const CALL_TIMEOUT_MS = 60_000;
const CASE_TIMEOUT_MS = 90_000;
/** grpc-js's CompressionAlgorithms.gzip and WriteFlags.NoCompress. */
const GZIP = 2;
const NO_COMPRESS = 2;

class CaseFailed extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CaseFailed(message);
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === "number";
}

function describe(e: unknown): string {
  if (isServiceError(e)) return `${grpc.status[e.code] ?? e.code}: ${e.details}`;
  return e instanceof Error ? e.message : String(e);
}

async function expectStatus(fn: () => Promise<unknown>, code: grpc.status, message?: string): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  const name = grpc.status[code];
  check(error !== undefined, `expected status ${name}, but the call succeeded`);
  check(isServiceError(error), `expected status ${name}, got a non-gRPC error: ${describe(error)}`);
  check(error.code === code, `expected status ${name}, got ${describe(error)}`);
  if (message !== undefined)
    check(
      error.details === message,
      `expected status message ${JSON.stringify(message)}, got ${JSON.stringify(error.details)}`,
    );
}

function checkBody(payload: Payload | null | undefined, size: number, what: string): void {
  const body = payload?.body;
  check(body !== undefined, `${what}: response has no payload`);
  check(body.length === size, `${what}: payload is ${body.length} bytes, expected ${size}`);
  check(isAllZero(body), `${what}: payload is not all zeros`);
}

const deadline = () => ({ deadline: Date.now() + CALL_TIMEOUT_MS });

interface UnaryResult<Res> {
  readonly response: Res;
  readonly header: grpc.Metadata | undefined;
  readonly trailer: grpc.Metadata;
}

/** A typed face over grpc.Client's generic request methods (no dynamic method lookup). */
class Caller {
  readonly client: grpc.Client;
  constructor(client: grpc.Client) {
    this.client = client;
  }

  unary<Req, Res>(
    m: Method<Req, Res>,
    request: Req,
    metadata = new grpc.Metadata(),
    options: grpc.CallOptions = deadline(),
  ): Promise<UnaryResult<Res>> {
    return new Promise((resolve, reject) => {
      let header: grpc.Metadata | undefined;
      let outcome: { error: grpc.ServiceError } | { response: Res } | undefined;
      const call = this.client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        request,
        metadata,
        options,
        (error, response) => {
          outcome = error ? { error } : { response: response as Res };
        },
      );
      call.on("metadata", (md: grpc.Metadata) => (header = md));
      // The callback runs just before the `status` event, which carries the trailers.
      call.on("status", (status: grpc.StatusObject) => {
        if (outcome === undefined || "error" in outcome) reject(outcome?.error ?? new Error("no outcome"));
        else resolve({ response: outcome.response, header, trailer: status.metadata });
      });
    });
  }

  clientStream<Req, Res>(
    m: Method<Req, Res>,
    requests: readonly { message: Req; flags?: number }[],
    options: grpc.CallOptions = deadline(),
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        new grpc.Metadata(),
        options,
        (error, response) => (error ? reject(error) : resolve(response as Res)),
      );
      for (const r of requests) {
        // grpc-js reads write flags from the stream's `encoding` argument.
        if (r.flags === undefined) call.write(r.message);
        else call.write(r.message, String(r.flags) as BufferEncoding);
      }
      call.end();
    });
  }

  serverStream<Req, Res>(
    m: Method<Req, Res>,
    request: Req,
    metadata = new grpc.Metadata(),
    options: grpc.CallOptions = deadline(),
  ): grpc.ClientReadableStream<Res> {
    return this.client.makeServerStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      request,
      metadata,
      options,
    );
  }

  bidi<Req, Res>(
    m: Method<Req, Res>,
    metadata = new grpc.Metadata(),
    options: grpc.CallOptions = deadline(),
  ): grpc.ClientDuplexStream<Req, Res> {
    return this.client.makeBidiStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      metadata,
      options,
    );
  }
}

/** Reads a response stream to its end; resolves with the messages and the trailers. */
function readAll<Req, Res>(
  stream: grpc.ClientReadableStream<Res> | grpc.ClientDuplexStream<Req, Res>,
): Promise<{ messages: Res[]; header: grpc.Metadata | undefined; trailer: grpc.Metadata }> {
  return new Promise((resolve, reject) => {
    const messages: Res[] = [];
    let header: grpc.Metadata | undefined;
    let error: Error | undefined;
    stream.on("metadata", (md: grpc.Metadata) => (header = md));
    stream.on("data", (m: Res) => messages.push(m));
    stream.on("error", (e: Error) => (error = e));
    stream.on("status", (status: grpc.StatusObject) => {
      if (status.code !== grpc.status.OK) reject(error ?? new Error(status.details));
      else resolve({ messages, header, trailer: status.metadata });
    });
  });
}

/** The next message of a response stream, or undefined at its end; rejects on an error. */
function nextMessage<Req, Res>(stream: grpc.ClientDuplexStream<Req, Res>): Promise<Res | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("error", onError);
      stream.off("end", onEnd);
    };
    const onData = (m: Res) => {
      cleanup();
      stream.pause();
      resolve(m);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    stream.on("data", onData);
    stream.on("error", onError);
    stream.on("end", onEnd);
    stream.resume();
  });
}

function checkSizes(messages: readonly StreamingOutputCallResponse[], sizes: readonly number[]): void {
  check(messages.length === sizes.length, `got ${messages.length} responses, expected ${sizes.length}`);
  for (const [i, r] of messages.entries()) checkBody(r.payload, sizes[i]!, `response ${i + 1}`);
}

const largeRequest = (extra: Partial<SimpleRequest> = {}): SimpleRequest => ({
  responseSize: LARGE_RESPONSE_SIZE,
  payload: { body: Buffer.alloc(LARGE_REQUEST_SIZE) },
  ...extra,
});

interface CaseContext {
  readonly protos: InteropProtos;
  readonly call: Caller;
  /** A second client whose channel compresses requests with gzip. */
  readonly gzip: Caller;
}

type Case = (c: CaseContext) => Promise<void>;

const unsupportedFlag =
  (what: string): Case =>
  () =>
    Promise.reject(new CaseFailed(`unsupported: grpc-js does not expose the compressed flag of ${what}`));

const cases: Readonly<Record<CaseName, Case>> = {
  async empty_unary({ protos, call }) {
    const { response } = await call.unary<Empty, Empty>(protos.testService.EmptyCall, {});
    check(response !== undefined && response !== null, "response is null");
  },

  async large_unary({ protos, call }) {
    const { response } = await call.unary(protos.testService.UnaryCall, largeRequest());
    checkBody(response.payload, LARGE_RESPONSE_SIZE, "large_unary");
  },

  async client_compressed_unary({ protos, call, gzip }) {
    const m = protos.testService.UnaryCall;
    await expectStatus(
      () => call.unary(m, largeRequest({ expectCompressed: { value: true } })),
      grpc.status.INVALID_ARGUMENT,
    );
    const compressed = await gzip.unary(m, largeRequest({ expectCompressed: { value: true } }));
    checkBody(compressed.response.payload, LARGE_RESPONSE_SIZE, "compressed request");
    const plain = await call.unary(m, largeRequest({ expectCompressed: { value: false } }));
    checkBody(plain.response.payload, LARGE_RESPONSE_SIZE, "uncompressed request");
  },

  server_compressed_unary: unsupportedFlag("a response message"),

  async client_streaming({ protos, call }) {
    const response = await call.clientStream(
      protos.testService.StreamingInputCall,
      STREAM_REQUEST_SIZES.map((n) => ({ message: { payload: { body: Buffer.alloc(n) } } })),
    );
    check(
      response.aggregatedPayloadSize === STREAM_AGGREGATE_SIZE,
      `aggregated_payload_size is ${response.aggregatedPayloadSize}, expected ${STREAM_AGGREGATE_SIZE}`,
    );
  },

  async client_compressed_streaming({ protos, call, gzip }) {
    const m = protos.testService.StreamingInputCall;
    await expectStatus(
      () =>
        call.clientStream(m, [
          { message: { expectCompressed: { value: true }, payload: { body: Buffer.alloc(27182) } } },
        ]),
      grpc.status.INVALID_ARGUMENT,
    );
    const response = await gzip.clientStream(m, [
      { message: { expectCompressed: { value: true }, payload: { body: Buffer.alloc(27182) } } },
      {
        message: { expectCompressed: { value: false }, payload: { body: Buffer.alloc(45904) } },
        flags: NO_COMPRESS,
      },
    ]);
    check(
      response.aggregatedPayloadSize === COMPRESSED_STREAM_AGGREGATE_SIZE,
      `aggregated_payload_size is ${response.aggregatedPayloadSize}, expected ${COMPRESSED_STREAM_AGGREGATE_SIZE}`,
    );
  },

  async server_streaming({ protos, call }) {
    const { messages } = await readAll(
      call.serverStream(protos.testService.StreamingOutputCall, {
        responseParameters: STREAM_RESPONSE_SIZES.map((size) => ({ size })),
      }),
    );
    checkSizes(messages, STREAM_RESPONSE_SIZES);
  },

  server_compressed_streaming: unsupportedFlag("a response message"),

  async ping_pong({ protos, call }) {
    const stream = call.bidi(protos.testService.FullDuplexCall);
    try {
      for (let i = 0; i < STREAM_REQUEST_SIZES.length; i++) {
        stream.write({
          responseParameters: [{ size: STREAM_RESPONSE_SIZES[i]! }],
          payload: { body: Buffer.alloc(STREAM_REQUEST_SIZES[i]!) },
        });
        const r = await nextMessage(stream);
        check(r !== undefined, `the response stream ended after ${i} responses`);
        checkBody(r.payload, STREAM_RESPONSE_SIZES[i]!, `response ${i + 1}`);
      }
      stream.end();
      check((await nextMessage(stream)) === undefined, "more than four responses");
    } finally {
      stream.cancel();
    }
  },

  async empty_stream({ protos, call }) {
    const stream = call.bidi(protos.testService.FullDuplexCall);
    stream.end();
    const { messages } = await readAll(stream);
    check(messages.length === 0, `expected no responses, got ${messages.length}`);
  },

  async custom_metadata({ protos, call }) {
    const metadata = new grpc.Metadata();
    metadata.set(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE);
    metadata.set(ECHO_TRAILING_KEY, Buffer.from(ECHO_TRAILING_VALUE));
    const checkEcho = (what: string, header: grpc.Metadata | undefined, trailer: grpc.Metadata) => {
      const initial = header?.get(ECHO_INITIAL_KEY)[0];
      check(
        initial === ECHO_INITIAL_VALUE,
        `${what}: initial metadata ${ECHO_INITIAL_KEY} is ${JSON.stringify(initial)}`,
      );
      const trailing = trailer.get(ECHO_TRAILING_KEY)[0];
      check(
        Buffer.isBuffer(trailing) && trailing.equals(Buffer.from(ECHO_TRAILING_VALUE)),
        `${what}: trailing metadata ${ECHO_TRAILING_KEY} is ${String(trailing)}`,
      );
    };
    const unary = await call.unary(protos.testService.UnaryCall, largeRequest(), metadata);
    checkBody(unary.response.payload, LARGE_RESPONSE_SIZE, "UnaryCall");
    checkEcho("UnaryCall", unary.header, unary.trailer);
    const stream = call.bidi(protos.testService.FullDuplexCall, metadata);
    stream.write({
      responseParameters: [{ size: LARGE_RESPONSE_SIZE }],
      payload: { body: Buffer.alloc(LARGE_REQUEST_SIZE) },
    });
    stream.end();
    const all = await readAll(stream);
    checkSizes(all.messages, [LARGE_RESPONSE_SIZE]);
    checkEcho("FullDuplexCall", all.header, all.trailer);
  },

  async status_code_and_message({ protos, call }) {
    const responseStatus = { code: 2, message: TEST_STATUS_MESSAGE };
    await expectStatus(
      () => call.unary(protos.testService.UnaryCall, { responseStatus }),
      grpc.status.UNKNOWN,
      TEST_STATUS_MESSAGE,
    );
    await expectStatus(
      () => {
        const stream = call.bidi(protos.testService.FullDuplexCall);
        stream.write({ responseStatus });
        stream.end();
        return readAll(stream);
      },
      grpc.status.UNKNOWN,
      TEST_STATUS_MESSAGE,
    );
  },

  async special_status_message({ protos, call }) {
    await expectStatus(
      () =>
        call.unary(protos.testService.UnaryCall, {
          responseStatus: { code: 2, message: SPECIAL_STATUS_MESSAGE },
        }),
      grpc.status.UNKNOWN,
      SPECIAL_STATUS_MESSAGE,
    );
  },

  async unimplemented_method({ protos, call }) {
    await expectStatus(() => call.unary(protos.testService.UnimplementedCall, {}), grpc.status.UNIMPLEMENTED);
  },

  async unimplemented_service({ protos, call }) {
    await expectStatus(() => call.unary(protos.unimplementedCall, {}), grpc.status.UNIMPLEMENTED);
  },

  async cancel_after_begin({ protos, call }) {
    const m = protos.testService.StreamingInputCall;
    await expectStatus(
      () =>
        new Promise((resolve, reject) => {
          const c = call.client.makeClientStreamRequest(
            m.path,
            m.requestSerialize,
            m.responseDeserialize,
            new grpc.Metadata(),
            deadline(),
            (error, response) => (error ? reject(error) : resolve(response)),
          );
          setTimeout(() => c.cancel(), 20);
        }),
      grpc.status.CANCELLED,
    );
  },

  async cancel_after_first_response({ protos, call }) {
    const stream = call.bidi(protos.testService.FullDuplexCall);
    stream.write({ responseParameters: [{ size: 31415 }], payload: { body: Buffer.alloc(27182) } });
    const first = await nextMessage(stream);
    check(first !== undefined, "no response before the stream ended");
    checkBody(first.payload, 31415, "first response");
    stream.cancel();
    await expectStatus(() => nextMessage(stream), grpc.status.CANCELLED);
  },

  async timeout_on_sleeping_server({ protos, call }) {
    await expectStatus(() => {
      const stream = call.bidi(protos.testService.FullDuplexCall, new grpc.Metadata(), {
        deadline: Date.now() + 1,
      });
      stream.write({ payload: { body: Buffer.alloc(27182) } });
      return readAll(stream);
    }, grpc.status.DEADLINE_EXCEEDED);
  },

  async concurrency({ protos, call }) {
    const body = Buffer.alloc(LARGE_REQUEST_SIZE);
    const results = await Promise.allSettled(
      Array.from({ length: CONCURRENT_CALLS }, async (_, i) => {
        const tag = `concurrency-${i}`;
        const md = new grpc.Metadata();
        md.set(ECHO_INITIAL_KEY, tag);
        const r = await call.unary(
          protos.testService.UnaryCall,
          { responseSize: LARGE_RESPONSE_SIZE + i, payload: { body } },
          md,
        );
        checkBody(r.response.payload, LARGE_RESPONSE_SIZE + i, `call ${i}`);
        const echoed = r.header?.get(ECHO_INITIAL_KEY)[0];
        check(echoed === tag, `call ${i}: got the header of another call (${String(echoed)})`);
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ i, reason: r.reason }] : []));
    check(
      failed.length === 0,
      `${failed.length} of ${CONCURRENT_CALLS} calls failed; first: call ${failed[0]?.i}: ${describe(failed[0]?.reason)}`,
    );
  },

  async bulk({ protos, call }) {
    const md = new grpc.Metadata();
    md.set(BULK_FILL_KEY, BULK_FILL_VALUE);
    const request: StreamingOutputCallRequest = {
      responseParameters: Array.from({ length: BULK_MESSAGES }, () => ({ size: BULK_MESSAGE_SIZE })),
    };
    const total = createHash("sha256");
    const expectedTotal = createHash("sha256");
    let index = 0;
    for await (const item of call.serverStream(protos.testService.StreamingOutputCall, request, md)) {
      const response = item as StreamingOutputCallResponse;
      check(index < BULK_MESSAGES, `more than ${BULK_MESSAGES} messages`);
      const body = response.payload?.body;
      check(body !== undefined, `message ${index} has no payload`);
      const expected = bulkBody(index, BULK_MESSAGE_SIZE);
      check(
        Buffer.from(body.buffer, body.byteOffset, body.byteLength).equals(expected),
        `message ${index}: content differs from the pattern (${body.length} bytes; reordered, corrupted or not filled)`,
      );
      total.update(body);
      expectedTotal.update(expected);
      index++;
    }
    check(index === BULK_MESSAGES, `got ${index} messages, expected ${BULK_MESSAGES}`);
    check(total.digest("hex") === expectedTotal.digest("hex"), "stream checksum differs");
  },
};

async function main(): Promise<number> {
  let flags: Flags;
  let names: CaseName[];
  try {
    flags = new Flags(process.argv.slice(2), [
      "server_host",
      "server_host_override",
      "server_port",
      "test_case",
      "use_tls",
      "use_test_ca",
      "certs_dir",
    ]);
    names = parseCaseList(flags.string("test_case", "all"));
  } catch (e) {
    console.error(`interop client (grpc-js): ${(e as Error).message}`);
    return 2;
  }
  const host = flags.string("server_host", "127.0.0.1");
  const target = `${host.includes(":") ? `[${host}]` : host}:${flags.port("server_port")}`;
  const options: grpc.ChannelOptions = {};
  let creds = grpc.credentials.createInsecure();
  if (flags.bool("use_tls", false)) {
    const ca = flags.bool("use_test_ca", true)
      ? Buffer.from((await readCerts(flags.string("certs_dir", defaultCertsDir))).ca)
      : null;
    creds = grpc.credentials.createSsl(ca);
    const override = flags.string("server_host_override");
    if (override !== undefined) {
      options["grpc.ssl_target_name_override"] = override;
      options["grpc.default_authority"] = override;
    }
  }
  const protos = loadInteropProtos();
  let failed = 0;
  for (const name of names) {
    // Unique options keep grpc-js from sharing one channel between the cases' clients.
    const own = { ...options, "grpc-ts.interop-case": name };
    const plain = new grpc.Client(target, creds, own);
    const gzip = new grpc.Client(target, creds, { ...own, "grpc.default_compression_algorithm": GZIP });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reason: string | undefined;
    try {
      await Promise.race([
        cases[name]({ protos, call: new Caller(plain), gzip: new Caller(gzip) }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${CASE_TIMEOUT_MS / 1000} s`)),
            CASE_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (e) {
      reason = describe(e);
    } finally {
      clearTimeout(timer);
      plain.close();
      gzip.close();
    }
    if (reason === undefined) console.log(`PASS ${name}`);
    else {
      failed++;
      console.log(`FAIL ${name}: ${reason.replace(/\r?\n/g, "\\n")}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`interop client (grpc-js): ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
