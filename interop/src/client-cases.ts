/**
 * The interop client cases on grpc-ts, each an async function that throws when an assertion of
 * grpc/grpc doc/interop-test-descriptions.md does not hold. Two cases are this project's own:
 * - `concurrency`: CONCURRENT_CALLS large_unary calls at once on one channel; call i asks for a
 *   response of LARGE_RESPONSE_SIZE + i bytes and sends `x-grpc-test-echo-initial: concurrency-i`,
 *   so each answer is checked against its own request (size, zeros, echoed header).
 * - `bulk`: one StreamingOutputCall of BULK_MESSAGES × BULK_MESSAGE_SIZE bytes (100 MiB) with the
 *   bulk fill requested, so every message has its own content; each message and a SHA-256 of the
 *   whole stream are compared with what the pattern says.
 */
import { createHash } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type Client,
  Code,
  codeName,
  createWritableIterable,
  Metadata,
  RpcError,
  wasCompressed,
  withSendOptions,
} from "@grpc-ts/node";
import type {
  StreamingInputCallRequestSchema,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponse,
} from "../gen/grpc/testing/messages_pb.js";
import type { TestService, UnimplementedService } from "../gen/grpc/testing/test_pb.js";
import type { CaseName } from "./cases.js";
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
  zeros,
} from "./constants.js";

export interface CaseContext {
  readonly test: Client<typeof TestService>;
  readonly unimplemented: Client<typeof UnimplementedService>;
}

export type ClientCase = (c: CaseContext) => Promise<void>;

type StreamingRequestInit = MessageInitShape<typeof StreamingOutputCallRequestSchema>;

class AssertionFailed extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

/** `CODE_NAME: message` for an RpcError, the message otherwise. */
export function describeError(e: unknown): string {
  if (e instanceof RpcError) return `${codeName(e.code)}: ${e.rawMessage}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs `fn` and requires it to fail with `code` (and `message`, when given). */
async function expectStatus(fn: () => Promise<unknown>, code: Code, message?: string): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  check(error !== undefined, `expected status ${codeName(code)}, but the call succeeded`);
  check(
    error instanceof RpcError,
    `expected status ${codeName(code)}, got a non-gRPC error: ${describeError(error)}`,
  );
  check(error.code === code, `expected status ${codeName(code)}, got ${describeError(error)}`);
  if (message !== undefined)
    check(
      error.rawMessage === message,
      `expected status message ${JSON.stringify(message)}, got ${JSON.stringify(error.rawMessage)}`,
    );
}

function checkBody(body: Uint8Array | undefined, size: number, what: string): void {
  check(body !== undefined, `${what}: response has no payload`);
  check(body.length === size, `${what}: payload is ${body.length} bytes, expected ${size}`);
  check(isAllZero(body), `${what}: payload is not all zeros`);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of iterable) out.push(m);
  return out;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

const largeRequest = () => ({
  responseSize: LARGE_RESPONSE_SIZE,
  payload: { body: zeros(LARGE_REQUEST_SIZE) },
});

export const clientCases: Readonly<Record<CaseName, ClientCase>> = {
  async empty_unary({ test }) {
    const response = await test.emptyCall({});
    check(response !== undefined && response !== null, "response is null");
  },

  async large_unary({ test }) {
    const response = await test.unaryCall(largeRequest());
    checkBody(response.payload?.body, LARGE_RESPONSE_SIZE, "large_unary");
  },

  async client_compressed_unary({ test }) {
    // The probe: an uncompressed message that claims to be compressed must be refused.
    await expectStatus(
      () => test.unaryCall({ ...largeRequest(), expectCompressed: { value: true } }),
      Code.INVALID_ARGUMENT,
    );
    const compressed = await test.unaryCall(
      { ...largeRequest(), expectCompressed: { value: true } },
      { compression: "gzip" },
    );
    checkBody(compressed.payload?.body, LARGE_RESPONSE_SIZE, "compressed request");
    const plain = await test.unaryCall({ ...largeRequest(), expectCompressed: { value: false } });
    checkBody(plain.payload?.body, LARGE_RESPONSE_SIZE, "uncompressed request");
  },

  async server_compressed_unary({ test }) {
    for (const value of [true, false]) {
      const response = await test.unaryCall({ ...largeRequest(), responseCompressed: { value } });
      check(
        wasCompressed(response) === value,
        `response_compressed=${value}, but the response's compressed flag was ${wasCompressed(response)}`,
      );
      checkBody(response.payload?.body, LARGE_RESPONSE_SIZE, `response_compressed=${value}`);
    }
  },

  async client_streaming({ test }) {
    const response = await test.streamingInputCall(
      STREAM_REQUEST_SIZES.map((size) => ({ payload: { body: zeros(size) } })),
    );
    check(
      response.aggregatedPayloadSize === STREAM_AGGREGATE_SIZE,
      `aggregated_payload_size is ${response.aggregatedPayloadSize}, expected ${STREAM_AGGREGATE_SIZE}`,
    );
  },

  async client_compressed_streaming({ test }) {
    await expectStatus(
      () => test.streamingInputCall([{ expectCompressed: { value: true }, payload: { body: zeros(27182) } }]),
      Code.INVALID_ARGUMENT,
    );
    const response = await test.streamingInputCall(
      [
        { expectCompressed: { value: true }, payload: { body: zeros(27182) } },
        withSendOptions(
          { expectCompressed: { value: false }, payload: { body: zeros(45904) } },
          { compress: false },
        ),
      ],
      { compression: "gzip" },
    );
    check(
      response.aggregatedPayloadSize === COMPRESSED_STREAM_AGGREGATE_SIZE,
      `aggregated_payload_size is ${response.aggregatedPayloadSize}, expected ${COMPRESSED_STREAM_AGGREGATE_SIZE}`,
    );
  },

  async server_streaming({ test }) {
    const responses = await collect(
      test.streamingOutputCall({ responseParameters: STREAM_RESPONSE_SIZES.map((size) => ({ size })) }),
    );
    checkSizes(responses, STREAM_RESPONSE_SIZES);
  },

  async server_compressed_streaming({ test }) {
    const responses = await collect(
      test.streamingOutputCall({
        responseParameters: [
          { compressed: { value: true }, size: 31415 },
          { compressed: { value: false }, size: 92653 },
        ],
      }),
    );
    checkSizes(responses, [31415, 92653]);
    check(wasCompressed(responses[0]), "response 1 (compressed: true) arrived without the compressed flag");
    check(!wasCompressed(responses[1]), "response 2 (compressed: false) arrived with the compressed flag");
  },

  async ping_pong({ test }) {
    const requests = createWritableIterable<StreamingRequestInit>();
    const it = test.fullDuplexCall(requests)[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < STREAM_REQUEST_SIZES.length; i++) {
        await requests.write({
          responseParameters: [{ size: STREAM_RESPONSE_SIZES[i]! }],
          payload: { body: zeros(STREAM_REQUEST_SIZES[i]!) },
        });
        const r = await it.next();
        check(!r.done, `the response stream ended after ${i} responses`);
        checkBody(r.value.payload?.body, STREAM_RESPONSE_SIZES[i]!, `response ${i + 1}`);
      }
      requests.close();
      const end = await it.next();
      check(end.done === true, "more than four responses");
    } finally {
      requests.close();
      await it.return?.();
    }
  },

  async empty_stream({ test }) {
    const responses = await collect(test.fullDuplexCall([]));
    check(responses.length === 0, `expected no responses, got ${responses.length}`);
  },

  async custom_metadata({ test }) {
    const metadata = new Metadata()
      .set(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE)
      .set(ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE);
    const checkEcho = (what: string, header: Metadata | undefined, trailer: Metadata | undefined) => {
      check(header !== undefined, `${what}: no response headers`);
      const initial = header.get(ECHO_INITIAL_KEY);
      check(
        initial === ECHO_INITIAL_VALUE,
        `${what}: initial metadata ${ECHO_INITIAL_KEY} is ${JSON.stringify(initial)}`,
      );
      check(trailer !== undefined, `${what}: no trailers`);
      const trailing = trailer.get(ECHO_TRAILING_KEY);
      check(
        sameBytes(trailing, ECHO_TRAILING_VALUE),
        `${what}: trailing metadata ${ECHO_TRAILING_KEY} is ${trailing === undefined ? "missing" : Buffer.from(trailing).toString("hex")}`,
      );
    };
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const response = await test.unaryCall(largeRequest(), {
      metadata,
      onHeader: (h) => (header = h),
      onTrailer: (t) => (trailer = t),
    });
    checkBody(response.payload?.body, LARGE_RESPONSE_SIZE, "UnaryCall");
    checkEcho("UnaryCall", header, trailer);
    header = undefined;
    trailer = undefined;
    const responses = await collect(
      test.fullDuplexCall(
        [
          {
            responseParameters: [{ size: LARGE_RESPONSE_SIZE }],
            payload: { body: zeros(LARGE_REQUEST_SIZE) },
          },
        ],
        { metadata, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      ),
    );
    checkSizes(responses, [LARGE_RESPONSE_SIZE]);
    checkEcho("FullDuplexCall", header, trailer);
  },

  async status_code_and_message({ test }) {
    const responseStatus = { code: 2, message: TEST_STATUS_MESSAGE };
    await expectStatus(() => test.unaryCall({ responseStatus }), Code.UNKNOWN, TEST_STATUS_MESSAGE);
    await expectStatus(
      () => collect(test.fullDuplexCall([{ responseStatus }])),
      Code.UNKNOWN,
      TEST_STATUS_MESSAGE,
    );
  },

  async special_status_message({ test }) {
    await expectStatus(
      () => test.unaryCall({ responseStatus: { code: 2, message: SPECIAL_STATUS_MESSAGE } }),
      Code.UNKNOWN,
      SPECIAL_STATUS_MESSAGE,
    );
  },

  async unimplemented_method({ test }) {
    await expectStatus(() => test.unimplementedCall({}), Code.UNIMPLEMENTED);
  },

  async unimplemented_service({ unimplemented }) {
    await expectStatus(() => unimplemented.unimplementedCall({}), Code.UNIMPLEMENTED);
  },

  async cancel_after_begin({ test }) {
    const controller = new AbortController();
    const requests = createWritableIterable<MessageInitShape<typeof StreamingInputCallRequestSchema>>();
    // Settled into a value at once, so an early failure is not an unhandled rejection meanwhile.
    const outcome = test.streamingInputCall(requests, { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => ({ error: e }),
    );
    // Let the request headers go out, then cancel before any message.
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    try {
      await expectStatus(async () => {
        const r = await outcome;
        if (r !== undefined) throw r.error;
      }, Code.CANCELLED);
    } finally {
      requests.close();
    }
  },

  async cancel_after_first_response({ test }) {
    const controller = new AbortController();
    const requests = createWritableIterable<StreamingRequestInit>();
    const it = test.fullDuplexCall(requests, { signal: controller.signal })[Symbol.asyncIterator]();
    try {
      await requests.write({ responseParameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
      const first = await it.next();
      check(!first.done, "no response before the stream ended");
      checkBody(first.value.payload?.body, 31415, "first response");
      controller.abort();
      await expectStatus(() => it.next(), Code.CANCELLED);
    } finally {
      requests.close();
    }
  },

  async timeout_on_sleeping_server({ test }) {
    const requests = createWritableIterable<StreamingRequestInit>();
    try {
      await expectStatus(async () => {
        const responses = test.fullDuplexCall(requests, { timeoutMs: 1 });
        await requests.write({ payload: { body: zeros(27182) } }).catch(() => {});
        return collect(responses);
      }, Code.DEADLINE_EXCEEDED);
    } finally {
      requests.close();
    }
  },

  async concurrency({ test }) {
    const calls = Array.from({ length: CONCURRENT_CALLS }, async (_, i) => {
      let header: Metadata | undefined;
      const tag = `concurrency-${i}`;
      const response = await test.unaryCall(
        { responseSize: LARGE_RESPONSE_SIZE + i, payload: { body: zeros(LARGE_REQUEST_SIZE) } },
        { metadata: { [ECHO_INITIAL_KEY]: tag }, onHeader: (h) => (header = h) },
      );
      checkBody(response.payload?.body, LARGE_RESPONSE_SIZE + i, `call ${i}`);
      const echoed = header?.get(ECHO_INITIAL_KEY);
      check(echoed === tag, `call ${i}: got the header of another call (${JSON.stringify(echoed)})`);
    });
    const results = await Promise.allSettled(calls);
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ i, reason: r.reason }] : []));
    check(
      failed.length === 0,
      `${failed.length} of ${CONCURRENT_CALLS} calls failed; first: call ${failed[0]?.i}: ${describeError(failed[0]?.reason)}`,
    );
  },

  async bulk({ test }) {
    const total = createHash("sha256");
    const expectedTotal = createHash("sha256");
    let index = 0;
    for await (const response of test.streamingOutputCall(
      { responseParameters: Array.from({ length: BULK_MESSAGES }, () => ({ size: BULK_MESSAGE_SIZE })) },
      { metadata: { [BULK_FILL_KEY]: BULK_FILL_VALUE } },
    )) {
      check(index < BULK_MESSAGES, `more than ${BULK_MESSAGES} messages`);
      const body = response.payload?.body;
      check(body !== undefined, `message ${index} has no payload`);
      const expected = bulkBody(index, BULK_MESSAGE_SIZE);
      check(
        sameBytes(body, expected),
        `message ${index}: content differs from the pattern (${body.length} bytes; reordered, corrupted or not filled)`,
      );
      total.update(body);
      expectedTotal.update(expected);
      index++;
    }
    check(index === BULK_MESSAGES, `got ${index} messages, expected ${BULK_MESSAGES}`);
    const got = total.digest("hex");
    const want = expectedTotal.digest("hex");
    check(got === want, `stream checksum ${got} differs from ${want}`);
  },
};

function checkSizes(responses: readonly StreamingOutputCallResponse[], sizes: readonly number[]): void {
  check(responses.length === sizes.length, `got ${responses.length} responses, expected ${sizes.length}`);
  for (const [i, r] of responses.entries()) checkBody(r.payload?.body, sizes[i]!, `response ${i + 1}`);
}
