/**
 * The TypeScript side of the conformance probe (h2-probe.py): steps to describe what a case sends,
 * running a batch of cases against a server, and the expectations a case's outcome is checked
 * against. Frames are built and parsed by Python's hyperframe and hpack, not by our engine.
 */
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ErrorCode, errorCodeName } from "@grpc-ts/http2";
import type { EchoRequestInit } from "@grpc-ts/testing";
import {
  EchoRequestSchema,
  type EchoResponse,
  EchoResponseSchema,
  REPO_ROOT,
  runToEnd,
} from "@grpc-ts/testing";

const PROBE = fileURLToPath(new URL("./h2-probe.py", import.meta.url));
export const PYTHON = "/usr/bin/python3";

/** Frame types (RFC 9113 §6) and SETTINGS identifiers (§6.5.2). */
export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;
export const S = {
  HEADER_TABLE_SIZE: 1,
  ENABLE_PUSH: 2,
  MAX_CONCURRENT_STREAMS: 3,
  INITIAL_WINDOW_SIZE: 4,
  MAX_FRAME_SIZE: 5,
  MAX_HEADER_LIST_SIZE: 6,
} as const;
/** Frame flags. */
export const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** One thing a case does (see h2-probe.py for each op). */
export interface Step {
  readonly op: string;
  readonly [key: string]: unknown;
}

export type Fields = [string, string][];

export interface ProbeFrame {
  readonly type: string;
  readonly stream: number;
  readonly flags: string[];
  readonly length: number;
  readonly headers?: Fields | null;
  readonly code?: number;
  readonly hex?: string;
  readonly size?: number;
  readonly increment?: number;
  readonly settings?: [number, number][];
  readonly lastStreamId?: number;
}

export interface ProbeResult {
  readonly name: string;
  readonly frames: ProbeFrame[];
  readonly goaway: { lastStreamId: number; code: number; debug: string } | null;
  readonly resets: [number, number][];
  readonly closed: boolean;
  readonly synced: boolean;
  readonly timeouts: number[];
  readonly violations: string[];
  readonly error: string | null;
  readonly tableMaxSize: number | null;
  /** The status line of an HTTP/1.x answer where HTTP/2 frames were expected. */
  readonly http1Status: string | null;
  /** What a TLS case negotiated. */
  readonly tls: { alpn: string | null; version: string; compression: string | null; cipher: string } | null;
}

export type Expect = (r: ProbeResult) => void;

export interface Case {
  readonly name: string;
  readonly steps: readonly Step[];
  readonly expect: Expect;
  /** End with a PING round trip (default true). */
  readonly finalSync?: boolean;
  /** Keep DATA payloads in the result (default true). */
  readonly keepData?: boolean;
  /** Answer the server's PINGs at once (default true); else the step `{ op: "ack_pings" }` does. */
  readonly answerPings?: boolean;
  /** TLS with ALPN instead of plain TCP. */
  readonly tls?: { readonly ca: string; readonly serverName: string; readonly alpn: readonly string[] };
}

// ---- steps ----

export const GRPC_UNARY = "/grpcts.test.Echo/Unary";
export const GRPC_SERVER_STREAM = "/grpcts.test.Echo/ServerStream";
export const GRPC_CLIENT_STREAM = "/grpcts.test.Echo/ClientStream";

/** A gRPC request's header section, with extra fields appended. */
export function grpcFields(path = GRPC_UNARY, extra: Fields = []): Fields {
  return [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ];
}

/** One length-prefixed gRPC message holding an EchoRequest, as hex. */
export function grpcMessage(req: EchoRequestInit = {}): string {
  const body = toBinary(EchoRequestSchema, create(EchoRequestSchema, req));
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out.toString("hex");
}

export const hello = (settings: [number, number][] = []): Step => ({ op: "hello", settings });
export const preface = (hex?: string): Step =>
  hex === undefined ? { op: "preface" } : { op: "preface", hex };
export const settings = (params: [number, number][]): Step => ({ op: "settings", settings: params });
export const settingsAck = (): Step => ({ op: "settings", ack: true });
export const headers = (stream: number, fields: Fields, options: Record<string, unknown> = {}): Step => ({
  op: "headers",
  stream,
  headers: fields,
  endHeaders: true,
  ...options,
});
export const headerBlock = (stream: number, hex: string, options: Record<string, unknown> = {}): Step => ({
  op: "headers",
  stream,
  block: hex,
  endHeaders: true,
  ...options,
});
export const continuation = (stream: number, fields: Fields | string, endHeaders = true): Step =>
  typeof fields === "string"
    ? { op: "continuation", stream, block: fields, endHeaders }
    : { op: "continuation", stream, headers: fields, endHeaders };
export const data = (stream: number, hex: string, options: Record<string, unknown> = {}): Step => ({
  op: "data",
  stream,
  hex,
  ...options,
});
export const zeros = (stream: number, size: number, options: Record<string, unknown> = {}): Step => ({
  op: "data",
  stream,
  size,
  ...options,
});
export const priority = (stream: number, dependsOn = 0, weight = 15): Step => ({
  op: "priority",
  stream,
  dependsOn,
  weight,
});
export const rst = (stream: number, code: number): Step => ({ op: "rst", stream, code });
export const ping = (hex = "0102030405060708", ack = false): Step => ({ op: "ping", hex, ack });
export const goaway = (lastStreamId: number, code: number): Step => ({ op: "goaway", lastStreamId, code });
export const windowUpdate = (stream: number, increment: number): Step => ({
  op: "window_update",
  stream,
  increment,
});
export const raw = (
  type: number,
  flags: number,
  stream: number,
  payload = "",
  options: Record<string, unknown> = {},
): Step => ({ op: "raw", type, flags, stream, payload, ...options });
export const bytes = (hex: string, split = false): Step => ({ op: "bytes", hex, split });
export const sync = (): Step => ({ op: "sync" });
/**
 * A PING ACK: the answer to a `sync` (or `ping`) step, a marker between frames. Our engine may
 * also send PINGs of its own (probes of the bandwidth-delay product, see adaptive windows).
 */
export const isPingAck = (f: ProbeFrame): boolean => f.type === "PING" && f.flags.includes("ACK");
export const waitFor = (type: string, stream: number, endStream = false): Step => ({
  op: "wait",
  type,
  stream,
  endStream,
});
export const waitForData = (stream: number, atLeast: number): Step => ({
  op: "wait",
  stream,
  dataAtLeast: atLeast,
});

/** A complete unary call on `stream`: HEADERS, one message with END_STREAM. */
export function unaryCall(stream: number, req: EchoRequestInit = {}, path = GRPC_UNARY): Step[] {
  return [headers(stream, grpcFields(path)), data(stream, grpcMessage(req), { endStream: true })];
}

/** A unary call whose handler waits `delayMs` before answering: the stream stays open meanwhile. */
export function slowCall(stream: number, delayMs = 3000): Step[] {
  return unaryCall(stream, { message: "slow", delayMs });
}

/** A unary call, then wait for its end: afterwards the stream is closed both ways. */
export function completedCall(stream: number): Step[] {
  return [...unaryCall(stream, { message: `call ${stream}` }), waitFor("HEADERS", stream, true)];
}

// ---- running ----

/** Runs cases (each on a new connection) against 127.0.0.1:port; results by name. */
export async function runProbe(port: number, cases: readonly Case[]): Promise<Map<string, ProbeResult>> {
  const job = {
    host: "127.0.0.1",
    port,
    timeout: 5,
    mode: "frames",
    cases: cases.map((c) => ({
      name: c.name,
      steps: c.steps,
      finalSync: c.finalSync ?? true,
      keepData: c.keepData ?? true,
      answerPings: c.answerPings ?? true,
      ...(c.tls === undefined ? {} : { tls: c.tls }),
    })),
  };
  const r = await runToEnd(PYTHON, [PROBE], {
    cwd: REPO_ROOT,
    stdin: JSON.stringify(job),
    timeoutMs: 30_000 + cases.length * 6_000,
  });
  assert.equal(r.code, 0, `h2-probe.py exited with ${r.code}: ${r.stderr}`);
  const results = JSON.parse(r.stdout) as ProbeResult[];
  return new Map(results.map((x) => [x.name, x]));
}

export interface H2Call {
  readonly path: string;
  /** The request body, hex. */
  readonly body: string;
  /** Octets per DATA frame at most. */
  readonly chunk?: number;
}

export interface H2CallResult {
  readonly headers: Fields | null;
  readonly trailers: Fields | null;
  readonly data: string;
  readonly reset: number | null;
}

export interface H2ClientResult {
  readonly calls: H2CallResult[];
  readonly error: string | null;
  readonly windowUpdatesReceived: number;
}

/** Python h2's H2Connection as a client making `calls` concurrently on one connection. */
export async function runH2Client(
  port: number,
  calls: readonly H2Call[],
  localSettings: Record<string, number> = {},
): Promise<H2ClientResult> {
  const job = { host: "127.0.0.1", port, timeout: 20, mode: "h2", settings: localSettings, calls };
  const r = await runToEnd(PYTHON, [PROBE], {
    cwd: REPO_ROOT,
    stdin: JSON.stringify(job),
    timeoutMs: 40_000,
  });
  assert.equal(r.code, 0, `h2-probe.py exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as H2ClientResult;
}

/**
 * Registers the cases of one section: a `before` that runs them all in one probe process, and one
 * test per case that checks its outcome.
 */
export function probeCases(port: () => number, cases: readonly Case[]): void {
  let results: Map<string, ProbeResult> | undefined;
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
  }
  before(async () => {
    results = await runProbe(port(), cases);
  });
  for (const c of cases) {
    it(c.name, () => {
      const r = results?.get(c.name);
      assert.ok(r !== undefined, `no result for ${c.name}`);
      try {
        assert.equal(r.error, null, `the probe failed: ${r.error}`);
        assert.deepEqual(r.violations, [], "the server's frames broke a rule");
        c.expect(r);
      } catch (e) {
        if (e instanceof Error) e.message += `\n  outcome: ${summary(r)}`;
        throw e;
      }
    });
  }
}

/** A short account of what came back, for failure messages. */
export function summary(r: ProbeResult): string {
  const frames = r.frames.map((f) => {
    if (f.type === "GOAWAY") return `GOAWAY(${errorCodeName(f.code!)}, last ${f.lastStreamId})`;
    if (f.type === "RST_STREAM") return `RST_STREAM(${f.stream}, ${errorCodeName(f.code!)})`;
    if (f.type === "HEADERS")
      return `HEADERS(${f.stream}${f.flags.includes("END_STREAM") ? ", END_STREAM" : ""}: ${(f.headers ?? [])
        .map(([n, v]) => `${n}=${v}`)
        .join(" ")})`;
    if (f.type === "DATA")
      return `DATA(${f.stream}, ${f.size}${f.flags.includes("END_STREAM") ? ", END" : ""})`;
    if (f.type === "PING") return `PING${f.flags.includes("ACK") ? "_ACK" : ""}`;
    if (f.type === "WINDOW_UPDATE") return `WINDOW_UPDATE(${f.stream}, ${f.increment})`;
    return f.type;
  });
  return `${frames.join(" ")}; closed=${r.closed} synced=${r.synced} timeouts=${JSON.stringify(r.timeouts)}`;
}

// ---- expectations ----

function codeList(codes: readonly number[]): string {
  return codes.map(errorCodeName).join(" or ");
}

/** A connection error: GOAWAY with one of `codes`, then the connection closes. */
export function connectionError(...codes: number[]): Expect {
  return (r) => {
    assert.ok(r.goaway !== null, `expected GOAWAY ${codeList(codes)}`);
    assert.ok(
      codes.includes(r.goaway.code),
      `GOAWAY ${errorCodeName(r.goaway.code)}, expected ${codeList(codes)}`,
    );
    assert.ok(r.closed, "the connection stays open after GOAWAY for an error");
  };
}

/** A stream error: RST_STREAM on `stream` with one of `codes`; the connection goes on. */
export function streamError(stream: number, ...codes: number[]): Expect {
  return (r) => {
    assert.equal(r.goaway, null, "a connection error where a stream error was expected");
    const reset = r.resets.find(([id]) => id === stream);
    assert.ok(reset !== undefined, `expected RST_STREAM ${codeList(codes)} on stream ${stream}`);
    assert.ok(codes.includes(reset[1]), `RST_STREAM ${errorCodeName(reset[1])}, expected ${codeList(codes)}`);
    assert.ok(r.synced, "the connection did not answer a PING after the stream error");
  };
}

/** Either error with one of `codes` (where the RFC leaves the choice to the receiver). */
export function streamOrConnectionError(stream: number, ...codes: number[]): Expect {
  return (r) => (r.goaway !== null ? connectionError(...codes)(r) : streamError(stream, ...codes)(r));
}

/** Nothing went wrong: no GOAWAY, no RST_STREAM, and the connection answers a PING. */
export function accepted(): Expect {
  return (r) => {
    assert.equal(r.goaway, null, "unexpected GOAWAY");
    assert.deepEqual(r.resets, [], "unexpected RST_STREAM");
    assert.deepEqual(r.timeouts, [], "a wait step timed out");
    assert.ok(r.synced, "no answer to the final PING");
  };
}

/** The stream got a complete gRPC response with `grpc-status` `status`, and nothing went wrong. */
export function answered(stream: number, status = "0"): Expect {
  return (r) => {
    accepted()(r);
    assertAnswered(r, stream, status);
  };
}

export function assertAnswered(r: ProbeResult, stream: number, status = "0"): void {
  const blocks = r.frames.filter((f) => f.type === "HEADERS" && f.stream === stream);
  assert.ok(blocks.length > 0, `no response on stream ${stream}`);
  const head = new Map(blocks[0]!.headers ?? []);
  assert.equal(head.get(":status"), "200");
  const last = blocks[blocks.length - 1]!;
  assert.ok(last.flags.includes("END_STREAM"), `the response on stream ${stream} did not end`);
  assert.equal(new Map(last.headers ?? []).get("grpc-status"), status, `grpc-status on stream ${stream}`);
}

/** All of the expectations. */
export function all(...expects: Expect[]): Expect {
  return (r) => {
    for (const e of expects) e(r);
  };
}

/** The frames of a type received, for assertions on details. */
export function framesOf(r: ProbeResult, type: string, stream?: number): ProbeFrame[] {
  return r.frames.filter((f) => f.type === type && (stream === undefined || f.stream === stream));
}

/** The EchoResponse messages of a stream's response body (the DATA frames, joined and unframed). */
export function responses(r: ProbeResult, stream: number): EchoResponse[] {
  const body = Buffer.from(
    framesOf(r, "DATA", stream)
      .map((f) => f.hex ?? "")
      .join(""),
    "hex",
  );
  const out: EchoResponse[] = [];
  let p = 0;
  while (p + 5 <= body.length) {
    const n = body.readUInt32BE(p + 1);
    out.push(fromBinary(EchoResponseSchema, body.subarray(p + 5, p + 5 + n)));
    p += 5 + n;
  }
  assert.equal(p, body.length, "a response body that is not whole gRPC messages");
  return out;
}

/** A malformed request (§8.1.1): reset with PROTOCOL_ERROR, never answered (never processed). */
export function malformed(stream: number): Expect {
  return (r) => {
    streamError(stream, ErrorCode.PROTOCOL_ERROR)(r);
    assert.deepEqual(framesOf(r, "HEADERS", stream), [], "a malformed request was answered");
  };
}
