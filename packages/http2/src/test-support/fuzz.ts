/**
 * Fuzzing of the frame parser and of the whole server connection, for the bounded runs in the
 * test suite (`*.fuzz.test.ts`) and the long run of `npm run fuzz:http2`.
 *
 * Inputs start from valid client exchanges built here (preface, SETTINGS, requests with
 * CONTINUATION, padding, priority, trailers, resets, flow control, control frames) and are
 * mutated: octets flipped or set to edge values, frames repeated, dropped, swapped, spliced from
 * another exchange or given other header fields, exchanges cut short or joined, random frames and
 * random octets. Every input comes from its own seed (`inputSeed`), which also drives how the
 * input is cut into chunks, the connection's options and what the application does, so one
 * number reproduces a failure exactly.
 *
 * What must hold, whatever the input:
 * - the parser throws only connection errors (`Http2Error`, stream 0), again on every later
 *   call, and reports the same events however the input is cut;
 * - the connection's `receive` throws nothing; each input is processed in bounded time;
 * - the connection's output is whole, valid frames (parsed by our parser in client mode, header
 *   blocks decoded by a separate HPACK decoder): SETTINGS first; DATA only after HEADERS and
 *   within the windows the client granted; nothing on a stream after its END_STREAM or
 *   RST_STREAM but a RST_STREAM NO_ERROR; nothing after GOAWAY with an error code; GOAWAY's last
 *   stream id never grows; PING ACKs only echo the client's PINGs;
 * - every failure is a connection error (the connection closes with an `Http2Error` and its last
 *   frame is GOAWAY with that code) or a stream error (RST_STREAM);
 * - the application sees each stream opened once and closed exactly once (by the end, when the
 *   transport closes), and no event of a stream after its close;
 * - the output stays within a bound of the input and of what the application wrote.
 */

import { ByteWriter } from "../byte-writer.js";
import type { ServerConnectionListener } from "../connection/server-connection.js";
import { ServerConnection, type ServerConnectionOptions } from "../connection/server-connection.js";
import { Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import { CONNECTION_PREFACE, FrameFlag, FrameType } from "../frame/frame-types.js";
import { SettingId } from "../frame/settings.js";
import { HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";
import { FrameRecorder } from "./frame-recorder.js";
import { toHex } from "./hex.js";
import { Random } from "./random.js";

export type FuzzTarget = "parser" | "connection";

/** What one input did. */
export interface FuzzOutcome {
  /** A broken invariant, or undefined when all held. */
  readonly failure: string | undefined;
  readonly inputLength: number;
  /** Parser: the connection error thrown, if any. Connection: the error the connection closed with. */
  readonly error: string | undefined;
}

// ---- building client exchanges ----

const REQUEST = [
  ":method",
  "POST",
  ":scheme",
  "http",
  ":path",
  "/pkg.Service/Method",
  ":authority",
  "localhost",
  "content-type",
  "application/grpc",
  "te",
  "trailers",
];

/** One frame, octet by octet (any field values, so also malformed frames). */
export function rawFrame(type: number, flags: number, streamId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  const n = payload.length;
  out[0] = (n >>> 16) & 0xff;
  out[1] = (n >>> 8) & 0xff;
  out[2] = n & 0xff;
  out[3] = type;
  out[4] = flags;
  out[5] = (streamId >>> 24) & 0xff;
  out[6] = (streamId >>> 16) & 0xff;
  out[7] = (streamId >>> 8) & 0xff;
  out[8] = streamId & 0xff;
  out.set(payload, 9);
  return out;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** A client's byte stream as frames (the preface first), with one HPACK encoder. */
class Exchange {
  readonly frames: Uint8Array[] = [CONNECTION_PREFACE];
  private readonly encoder = new HpackEncoder();

  settings(params: number[] = []): this {
    const p: number[] = [];
    for (let i = 0; i < params.length; i += 2)
      p.push(params[i]! >>> 8, params[i]! & 0xff, ...u32(params[i + 1]!));
    return this.add(rawFrame(FrameType.SETTINGS, 0, 0, Uint8Array.from(p)));
  }
  ack(): this {
    return this.add(rawFrame(FrameType.SETTINGS, FrameFlag.ACK, 0, new Uint8Array(0)));
  }
  block(fields: readonly string[]): Uint8Array {
    const w = new ByteWriter(256);
    this.encoder.encode(w, fields);
    return w.view().slice();
  }
  /** HEADERS (+ CONTINUATION when `pieces` > 1), optionally padded and with priority fields. */
  headers(
    streamId: number,
    fields: readonly string[],
    o: { end?: boolean; pieces?: number; pad?: number; priority?: boolean } = {},
  ): this {
    const block = this.block(fields);
    const pieces = Math.max(1, Math.min(o.pieces ?? 1, block.length));
    const size = Math.ceil(block.length / pieces);
    const first = block.subarray(0, size);
    let flags = (o.end ? FrameFlag.END_STREAM : 0) | (pieces === 1 ? FrameFlag.END_HEADERS : 0);
    const pre: number[] = [];
    if (o.pad !== undefined) {
      flags |= FrameFlag.PADDED;
      pre.push(o.pad);
    }
    if (o.priority) {
      flags |= FrameFlag.PRIORITY;
      pre.push(...u32(0x80000000 | (streamId > 2 ? streamId - 2 : 0)), 200);
    }
    const payload = new Uint8Array(pre.length + first.length + (o.pad ?? 0));
    payload.set(pre, 0);
    payload.set(first, pre.length);
    this.add(rawFrame(FrameType.HEADERS, flags, streamId, payload));
    for (let p = size; p < block.length; p += size) {
      const last = p + size >= block.length;
      this.add(
        rawFrame(
          FrameType.CONTINUATION,
          last ? FrameFlag.END_HEADERS : 0,
          streamId,
          block.subarray(p, p + size),
        ),
      );
    }
    return this;
  }
  data(streamId: number, length: number, o: { end?: boolean; pad?: number } = {}): this {
    const flags = (o.end ? FrameFlag.END_STREAM : 0) | (o.pad !== undefined ? FrameFlag.PADDED : 0);
    const payload = new Uint8Array(length + (o.pad !== undefined ? 1 + o.pad : 0));
    if (o.pad !== undefined) payload[0] = o.pad;
    for (let i = o.pad !== undefined ? 1 : 0; i < 1 + length && i < payload.length; i++)
      payload[i] = i & 0xff;
    return this.add(rawFrame(FrameType.DATA, flags, streamId, payload));
  }
  /** A gRPC message of `length` octets (its 5-octet prefix included) in one DATA frame. */
  message(streamId: number, length: number, end: boolean): this {
    const payload = new Uint8Array(length);
    const n = length - 5;
    payload.set(u32(n), 1);
    return this.add(rawFrame(FrameType.DATA, end ? FrameFlag.END_STREAM : 0, streamId, payload));
  }
  rst(streamId: number, code: number): this {
    return this.add(rawFrame(FrameType.RST_STREAM, 0, streamId, Uint8Array.from(u32(code))));
  }
  windowUpdate(streamId: number, increment: number): this {
    return this.add(rawFrame(FrameType.WINDOW_UPDATE, 0, streamId, Uint8Array.from(u32(increment))));
  }
  ping(ack = false, seed = 1): this {
    const p = Uint8Array.from({ length: 8 }, (_, i) => (seed * 13 + i) & 0xff);
    return this.add(rawFrame(FrameType.PING, ack ? FrameFlag.ACK : 0, 0, p));
  }
  priority(streamId: number, dependency: number): this {
    return this.add(rawFrame(FrameType.PRIORITY, 0, streamId, Uint8Array.from([...u32(dependency), 15])));
  }
  goaway(lastStreamId: number, code: number): this {
    return this.add(
      rawFrame(FrameType.GOAWAY, 0, 0, Uint8Array.from([...u32(lastStreamId), ...u32(code), 1, 2])),
    );
  }
  add(frame: Uint8Array): this {
    this.frames.push(frame);
    return this;
  }
}

/** The valid client exchanges that inputs start from (each a list of frames, preface first). */
export function seedExchanges(): Uint8Array[][] {
  const x = () => new Exchange().settings().ack();
  const trailers = ["x-trailer", "1"];
  const long = [...REQUEST, "x-long", "v".repeat(1500), "x-other", "o".repeat(300)];
  const seeds: Exchange[] = [
    // a unary call
    x().headers(1, REQUEST).message(1, 20, true),
    // settings of every kind, flow control both ways
    new Exchange()
      .settings([
        SettingId.HEADER_TABLE_SIZE,
        0,
        SettingId.ENABLE_PUSH,
        0,
        SettingId.INITIAL_WINDOW_SIZE,
        100,
        SettingId.MAX_FRAME_SIZE,
        20000,
        SettingId.MAX_HEADER_LIST_SIZE,
        1000,
        0x99,
        7,
      ])
      .ack()
      .headers(1, REQUEST)
      .data(1, 3000)
      .windowUpdate(1, 5000)
      .windowUpdate(0, 100000)
      .message(1, 10, true)
      .windowUpdate(1, 70000),
    // several streams interleaved, a reset, PING, PRIORITY for an idle stream
    x()
      .headers(1, REQUEST)
      .headers(3, REQUEST)
      .headers(5, REQUEST)
      .message(3, 40, false)
      .message(1, 12, true)
      .rst(5, 8)
      .headers(7, REQUEST, { end: true })
      .ping()
      .priority(11, 9)
      .data(3, 0, { end: true })
      .headers(9, REQUEST, { end: true }),
    // header blocks in CONTINUATION frames, trailers too
    x()
      .headers(1, long, { pieces: 3 })
      .message(1, 100, true)
      .headers(3, REQUEST)
      .message(3, 7, false)
      .headers(3, trailers, { end: true, pieces: 2 }),
    // padding and priority fields
    x()
      .headers(1, REQUEST, { pad: 17, priority: true })
      .data(1, 30, { pad: 9 })
      .data(1, 0, { pad: 0, end: true })
      .headers(3, REQUEST, { pad: 0, priority: true, end: true }),
    // control frames: PING (and ACK), extra SETTINGS ACK, unknown types, WINDOW_UPDATE, GOAWAY
    x()
      .ping(false, 3)
      .ping(true, 4)
      .ack()
      .add(rawFrame(0x20, 0xff, 0, Uint8Array.of(1, 2, 3)))
      .headers(1, REQUEST)
      .add(rawFrame(0xfa, 0, 1, new Uint8Array(0)))
      .windowUpdate(0, 1)
      .message(1, 5, true)
      .goaway(1, 0)
      .settings([SettingId.INITIAL_WINDOW_SIZE, 1 << 20]),
    // a large request body in full-size frames
    x()
      .headers(1, REQUEST)
      .message(1, 16384, false)
      .data(1, 16384)
      .data(1, 16384)
      .data(1, 16384)
      .data(1, 16383)
      .data(1, 16384)
      .data(1, 5000, { end: true }),
    // streams opened and reset by the client, before and after an answer
    (() => {
      const e = x();
      for (let id = 1; id < 40; id += 2) {
        e.headers(id, REQUEST, { end: id % 4 === 1 });
        if (id % 3 !== 0) e.rst(id, id % 4 === 1 ? 8 : 0);
      }
      return e;
    })(),
    // a request with trailers; one with content-length
    x()
      .headers(1, REQUEST)
      .message(1, 9, false)
      .headers(1, trailers, { end: true })
      .headers(3, [...REQUEST, "content-length", "9"])
      .message(3, 9, true),
    // a header list over the server's limit, then a normal request
    x()
      .headers(1, [...REQUEST, "x-huge", "h".repeat(20000)], { pieces: 3 })
      .message(1, 6, true)
      .headers(3, REQUEST, { end: true }),
    // a client that goes away, then keeps sending
    x().headers(1, REQUEST).goaway(0, 0).message(1, 5, true).headers(3, REQUEST, { end: true }),
    // nghttp's way: PRIORITY frames for idle streams as a dependency tree, then requests on 13
    x()
      .priority(3, 0)
      .priority(5, 0)
      .priority(7, 0)
      .priority(9, 7)
      .priority(11, 3)
      .headers(13, REQUEST, { priority: true })
      .message(13, 30, true)
      .headers(15, REQUEST, { priority: true, end: true }),
  ];
  return seeds.map((e) => e.frames);
}

// ---- mutation ----

const EDGE_OCTETS = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const FRAME_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x20, 0xff];
const STREAM_IDS = [0, 1, 2, 3, 5, 7, 9, 0x7fffffff, 0x80000001, 101];

function join(frames: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const f of frames) n += f.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** A random frame with a plausible payload (often valid, often not). */
function randomFrame(rnd: Random): Uint8Array {
  const type = rnd.pick(FRAME_TYPES);
  const streamId = rnd.pick(STREAM_IDS);
  const flags = rnd.int(4) === 0 ? rnd.int(256) : rnd.pick([0, 1, 4, 5, 8, 0x20, 0x25]);
  let length: number;
  switch (type) {
    case FrameType.PRIORITY:
      length = rnd.pick([5, 5, 4, 6]);
      break;
    case FrameType.RST_STREAM:
    case FrameType.WINDOW_UPDATE:
      length = rnd.pick([4, 4, 4, 3, 5]);
      break;
    case FrameType.SETTINGS:
      length = rnd.pick([0, 6, 12, 7]);
      break;
    case FrameType.PING:
      length = rnd.pick([8, 8, 7, 9]);
      break;
    case FrameType.GOAWAY:
      length = rnd.pick([8, 10, 7]);
      break;
    default:
      length = rnd.int(4) === 0 ? rnd.int(20000) : rnd.int(64);
  }
  const payload = rnd.bytes(length);
  if (type === FrameType.SETTINGS) {
    for (let p = 0; p + 1 < length; p += 6) payload[p] = 0;
  }
  return rawFrame(type, flags, streamId, payload);
}

/** Changes a frame's header fields (length, type, flags, stream id). */
function mutateHeader(rnd: Random, frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  if (f.length < 9) return f;
  switch (rnd.int(4)) {
    case 0: {
      const n = Math.max(0, ((f[0]! << 16) | (f[1]! << 8) | f[2]!) + rnd.pick([-1, 1, -9, 100, 1 << 14]));
      f[0] = (n >>> 16) & 0xff;
      f[1] = (n >>> 8) & 0xff;
      f[2] = n & 0xff;
      break;
    }
    case 1:
      f[3] = rnd.pick(FRAME_TYPES);
      break;
    case 2:
      f[4] = rnd.int(256);
      break;
    default: {
      const id = rnd.pick(STREAM_IDS);
      f[5] = (id >>> 24) & 0xff;
      f[6] = (id >>> 16) & 0xff;
      f[7] = (id >>> 8) & 0xff;
      f[8] = id & 0xff;
    }
  }
  return f;
}

/** Inputs are cut to this many octets (frames repeated 200 times could make megabytes). */
const MAX_INPUT = 256 * 1024;

/** One input from the seeds: the mutation chosen and applied by `rnd`. */
export function makeInput(rnd: Random, seeds: readonly Uint8Array[][]): Uint8Array {
  const input = mutated(rnd, seeds);
  return input.length > MAX_INPUT ? input.subarray(0, MAX_INPUT) : input;
}

function mutated(rnd: Random, seeds: readonly Uint8Array[][]): Uint8Array {
  const seed = rnd.pick(seeds);
  const choice = rnd.int(100);
  if (choice < 10) return join(seed); // as recorded (cut into chunks differently each time)
  if (choice < 18) return join([CONNECTION_PREFACE, rnd.bytes(rnd.int(200))]);
  if (choice < 22) {
    const bytes = join(seed);
    bytes[rnd.int(Math.min(bytes.length, 30))] ^= 1 << rnd.int(8); // the preface or first SETTINGS
    return bytes;
  }
  if (choice < 40) {
    // octets flipped or set to edge values
    const bytes = join(seed);
    const n = 1 + rnd.int(8);
    for (let i = 0; i < n; i++) {
      const p = 24 + rnd.int(bytes.length - 24);
      bytes[p] = rnd.int(2) === 0 ? rnd.int(256) : rnd.pick(EDGE_OCTETS);
    }
    return bytes;
  }
  if (choice < 48) {
    const bytes = join(seed);
    return bytes.subarray(0, 24 + rnd.int(bytes.length - 23)); // cut short
  }
  if (choice < 55) {
    // spliced: the start of one exchange, the end of another
    const other = rnd.pick(seeds);
    const a = 1 + rnd.int(seed.length);
    const b = 1 + rnd.int(other.length);
    return join([...seed.slice(0, a), ...other.slice(b)]);
  }
  if (choice < 65) {
    // random frames after a valid start
    const frames = seed.slice(0, 1 + rnd.int(seed.length));
    const n = 1 + rnd.int(12);
    for (let i = 0; i < n; i++) frames.splice(1 + rnd.int(frames.length), 0, randomFrame(rnd));
    return join(frames);
  }
  // frame-level edits: repeat, drop, swap, borrow, change header fields
  const frames = seed.slice();
  const edits = 1 + rnd.int(4);
  for (let i = 0; i < edits; i++) {
    const k = 1 + rnd.int(frames.length - 1);
    switch (rnd.int(6)) {
      case 0: {
        const times = rnd.pick([1, 2, 10, 200]);
        frames.splice(k, 0, ...Array.from({ length: times }, () => frames[k]!));
        break;
      }
      case 1:
        frames.splice(k, 1);
        break;
      case 2: {
        const j = 1 + rnd.int(frames.length - 1);
        [frames[k], frames[j]] = [frames[j]!, frames[k]!];
        break;
      }
      case 3: {
        const other = rnd.pick(seeds);
        frames.splice(k, 0, other[1 + rnd.int(other.length - 1)]!);
        break;
      }
      default:
        frames[k] = mutateHeader(rnd, frames[k]!);
    }
    if (frames.length < 2) frames.push(randomFrame(rnd));
  }
  return join(frames);
}

/** Cuts an input into chunks: single octets, small or large pieces, or whole. */
function chunks(rnd: Random, input: Uint8Array): Uint8Array[] {
  const mode = rnd.int(4);
  if (mode === 0) return [input];
  const out: Uint8Array[] = [];
  for (let p = 0; p < input.length; ) {
    // single octets only for small inputs: a quarter of a megabyte in 4-octet chunks is slow to check
    const small = mode === 1 && input.length < 20000;
    const n = small ? 1 + rnd.int(8) : mode !== 3 ? 1 + rnd.int(200) : 1 + rnd.int(input.length);
    out.push(input.subarray(p, p + n));
    p += n;
  }
  return out;
}

// ---- the parser ----

/** Runs one input through the frame parser, cut two ways; checks the parser's invariants. */
export function runParserInput(inputSeed: number, seeds: readonly Uint8Array[][]): FuzzOutcome {
  const rnd = new Random(inputSeed);
  const input = makeInput(rnd, seeds).subarray(24); // the parser starts after the preface
  const options = {
    role: rnd.int(2) === 0 ? ("server" as const) : ("client" as const),
    maxFrameSize: rnd.pick([16384, 16384, 100000]),
    maxHeaderBlockSize: rnd.pick([65536, 4096]),
    maxContinuationFrames: rnd.pick([128, 3]),
  };
  const runs: { events: string; error: string | undefined }[] = [];
  for (const cut of [chunks(rnd, input), chunks(rnd, input)]) {
    const recorder = new CheckingRecorder();
    const parser = new FrameParser(recorder, options);
    let error: Http2Error | undefined;
    for (const c of cut) {
      try {
        parser.receive(c);
      } catch (e) {
        if (!(e instanceof Http2Error) || e.streamId !== 0) {
          return { failure: `the parser threw ${String(e)}`, inputLength: input.length, error: undefined };
        }
        error = e;
        break;
      }
    }
    if (error !== undefined) {
      try {
        parser.receive(Uint8Array.of(0));
        return {
          failure: "the parser went on after a connection error",
          inputLength: input.length,
          error: error.message,
        };
      } catch (e) {
        if (e !== error)
          return {
            failure: "a different error after a connection error",
            inputLength: input.length,
            error: error.message,
          };
      }
    }
    if (recorder.problem !== undefined)
      return { failure: recorder.problem, inputLength: input.length, error: error?.message };
    // Input that ends inside a padded DATA frame: padding octets already read are counted with the
    // frame's next piece, so how many is a matter of the cut until the frame is complete.
    const last = recorder.events[recorder.events.length - 1];
    if (error === undefined && !parser.atFrameBoundary && last?.kind === "data") last.flow = -1;
    runs.push({ events: JSON.stringify(recorder.events), error: error?.message });
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
  if (a.error !== b.error) {
    return {
      failure: `cut differently, the error differs: ${a.error} / ${b.error}`,
      inputLength: input.length,
      error: a.error,
    };
  }
  if (a.events !== b.events) {
    return { failure: "cut differently, the events differ", inputLength: input.length, error: a.error };
  }
  return { failure: undefined, inputLength: input.length, error: a.error };
}

/** A FrameRecorder that also checks each event's fields. */
class CheckingRecorder extends FrameRecorder {
  problem: string | undefined;
  private dataLength = 0;
  private dataSum = 0;

  private check(ok: boolean, what: string): void {
    if (!ok && this.problem === undefined) this.problem = what;
  }
  override onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.check(streamId > 0 && streamId <= 0x7fffffff, `DATA on stream ${streamId}`);
    this.check(
      flowLength >= data.length && flowLength <= 16777215,
      `DATA flow ${flowLength} for ${data.length}`,
    );
    // DATA as a length and a checksum over its octets, whatever the pieces (hex of megabytes
    // would be slow to compare)
    const last = this.events[this.events.length - 1];
    const merge = last !== undefined && last.kind === "data" && last.streamId === streamId && !last.endStream;
    if (!merge) {
      this.dataLength = 0;
      this.dataSum = 0;
    }
    let sum = this.dataSum;
    for (let i = 0; i < data.length; i++) sum = (Math.imul(sum, 31) + data[i]!) | 0;
    this.dataSum = sum;
    this.dataLength += data.length;
    const text = `${this.dataLength}:${sum}`;
    if (merge) {
      last.data = text;
      last.endStream = endStream;
      last.flow += flowLength;
    } else {
      this.events.push({ kind: "data", streamId, data: text, endStream, flow: flowLength });
    }
  }
  override onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.check(streamId > 0 && streamId <= 0x7fffffff, `HEADERS on stream ${streamId}`);
    super.onHeaders(streamId, block, endStream);
  }
  override onRstStream(streamId: number, code: number): void {
    this.check(streamId > 0 && code >= 0 && code <= 0xffffffff, `RST_STREAM ${streamId} ${code}`);
    super.onRstStream(streamId, code);
  }
  override onWindowUpdate(streamId: number, increment: number): void {
    this.check(increment >= 1 && increment <= 0x7fffffff, `WINDOW_UPDATE of ${increment}`);
    this.check(streamId >= 0 && streamId <= 0x7fffffff, `WINDOW_UPDATE on ${streamId}`);
    super.onWindowUpdate(streamId, increment);
  }
  override onPing(payload: Uint8Array, ack: boolean): void {
    this.check(payload.length === 8, `PING of ${payload.length}`);
    super.onPing(payload, ack);
  }
  override onStreamError(error: Http2Error): void {
    this.check(error.streamId > 0, `a stream error on stream ${error.streamId}`);
    super.onStreamError(error);
  }
  override onSettings(params: readonly number[]): void {
    this.check(params.length % 2 === 0, "SETTINGS parameters not in pairs");
    super.onSettings(params);
  }
}

// ---- the connection ----

interface AppStream {
  readonly id: number;
  responded: boolean;
  ended: boolean;
  remoteEnded: boolean;
  closed: number;
  pendingConsume: number;
}

const ZEROS = new Uint8Array(200_000);

/** The application: answers, writes, resets and consumes as its random generator says. */
class FuzzApp implements ServerConnectionListener<AppStream> {
  conn!: ServerConnection<AppStream>;
  readonly streams = new Map<number, AppStream>();
  problem: string | undefined;
  closes = 0;
  closedWith: Http2Error | undefined;
  written = 0;
  private readonly rnd: Random;
  private readonly trace: string[] | undefined;

  constructor(rnd: Random, trace: string[] | undefined) {
    this.rnd = rnd;
    this.trace = trace;
  }

  private fail(what: string): void {
    this.problem ??= what;
  }

  private live(s: AppStream, event: string): boolean {
    if (s.closed > 0) this.fail(`${event} on stream ${s.id} after its close`);
    return s.closed === 0;
  }

  onStreamOpen(streamId: number, _headers: string[], _endStream: boolean): AppStream {
    this.trace?.push(`  app: stream ${streamId} opened`);
    if (this.streams.has(streamId)) this.fail(`stream ${streamId} opened twice`);
    if (this.closes > 0) this.fail(`stream ${streamId} opened after the connection closed`);
    const s: AppStream = {
      id: streamId,
      responded: false,
      ended: false,
      remoteEnded: false,
      closed: 0,
      pendingConsume: 0,
    };
    this.streams.set(streamId, s);
    switch (this.rnd.int(8)) {
      case 0:
        this.respond(s, true);
        break;
      case 1:
        this.conn.reset(streamId, this.rnd.pick([0, 2, 8]));
        break;
      case 2:
        this.respond(s, false);
        this.write(s);
        break;
    }
    return s;
  }
  onStreamData(s: AppStream, data: Uint8Array): void {
    if (!this.live(s, "data")) return;
    if (s.remoteEnded) this.fail(`data on stream ${s.id} after its end`);
    if (this.rnd.int(5) === 0) s.pendingConsume += data.length;
    else this.conn.consume(s.id, data.length);
    if (this.rnd.int(6) === 0 && s.responded) this.write(s);
  }
  onStreamTrailers(s: AppStream, _trailers: string[]): void {
    if (!this.live(s, "trailers")) return;
    if (s.remoteEnded) this.fail(`trailers on stream ${s.id} after its end`);
  }
  onStreamEnd(s: AppStream): void {
    if (!this.live(s, "end")) return;
    if (s.remoteEnded) this.fail(`stream ${s.id} ended twice`);
    s.remoteEnded = true;
    if (this.rnd.int(3) > 0) this.finish(s);
  }
  onStreamDrain(s: AppStream): void {
    if (!this.live(s, "drain")) return;
    if (this.rnd.int(2) === 0) this.write(s);
  }
  onStreamClose(s: AppStream, errorCode: number): void {
    this.trace?.push(`  app: stream ${s.id} closed ${errorCode}`);
    if (s.closed > 0) this.fail(`stream ${s.id} closed twice`);
    s.closed = 1 + errorCode;
  }
  onGoAway(): void {}
  onConnectionClose(error: Http2Error | undefined): void {
    this.trace?.push(`  app: connection closed ${error?.message ?? ""}`);
    this.closes++;
    this.closedWith = error;
  }

  respond(s: AppStream, end: boolean): void {
    if (s.responded || s.closed > 0) return;
    s.responded = true;
    if (end) s.ended = true;
    this.conn.respond(
      s.id,
      end
        ? [":status", "200", "content-type", "application/grpc", "grpc-status", "0"]
        : [":status", "200", "content-type", "application/grpc"],
      end,
    );
  }
  write(s: AppStream): void {
    if (!s.responded || s.ended || s.closed > 0) return;
    const n = this.rnd.pick([0, 1, 100, 5000, 20000, 70000, 200000]);
    this.written += n;
    this.conn.write(s.id, ZEROS.subarray(0, n));
  }
  finish(s: AppStream): void {
    if (s.closed > 0 || s.ended) return;
    this.respond(s, false);
    this.write(s);
    s.ended = true;
    this.conn.end(s.id, this.rnd.int(4) === 0 ? [] : ["grpc-status", "0", "grpc-message", "ok"]);
  }

  /** At the end of the input: returns what it holds back, finishes some of the streams. */
  wrapUp(): void {
    for (const s of [...this.streams.values()]) {
      if (s.closed > 0) continue;
      if (s.pendingConsume > 0) {
        this.conn.consume(s.id, s.pendingConsume);
        s.pendingConsume = 0;
      }
      if (s.remoteEnded && this.rnd.int(4) > 0) this.finish(s);
    }
  }

  /** Something the application does between two chunks. */
  act(): void {
    const open = [...this.streams.values()].filter((s) => s.closed === 0);
    const r = this.rnd.int(100);
    this.trace?.push(`  app acts: ${r}`);
    if (r < 2) this.conn.ping(this.rnd.bytes(8));
    else if (r < 3) this.conn.shutdown();
    else if (r < 4) this.conn.finishShutdown();
    else if (r < 5 && this.rnd.int(4) === 0) this.conn.settingsTimedOut();
    else if (open.length > 0) {
      const s = this.rnd.pick(open);
      switch (this.rnd.int(6)) {
        case 0:
          if (s.pendingConsume > 0) {
            this.conn.consume(s.id, s.pendingConsume);
            s.pendingConsume = 0;
          }
          break;
        case 1:
          this.respond(s, false);
          this.write(s);
          break;
        case 2:
          this.finish(s);
          break;
        case 3:
          if (this.rnd.int(3) === 0) this.conn.reset(s.id, this.rnd.pick([0, 8, 2]));
          break;
      }
    }
  }
}

/**
 * Reads the client's input as the server would, for the bounds of the server's output: the flow
 * control windows it granted (an upper bound: the server may have stopped reading earlier), its
 * PING payloads, how many SETTINGS it sent.
 */
class ClientShadow implements FrameHandler {
  connGrant = 0;
  readonly streamGrant = new Map<number, number>();
  maxInitialWindow = 65535;
  settings = 0;
  readonly pings = new Set<string>();
  maxStreamId = 0;
  /** Chunks read so far, and in which one the client ended each stream (END_STREAM). */
  private chunks = 0;
  private readonly endedIn = new Map<number, number>();
  private readonly parser = new FrameParser(this, {
    role: "server",
    maxFrameSize: 16777215,
    maxHeaderBlockSize: 1 << 30,
    maxContinuationFrames: 1 << 30,
  });
  private prefaceLeft = 24;
  private broken = false;

  receive(chunk: Uint8Array): void {
    this.chunks++;
    if (this.broken) return;
    let c = chunk;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, c.length);
      this.prefaceLeft -= n;
      c = c.subarray(n);
    }
    try {
      if (c.length > 0) this.parser.receive(c);
    } catch {
      this.broken = true;
    }
  }
  /** The largest stream id of any frame (the server may reset any stream the client named). */
  private saw(streamId: number): void {
    if (streamId > this.maxStreamId) this.maxStreamId = streamId;
  }
  /** The client ended `streamId` in a chunk before the last one read (the server has read that end). */
  endedBefore(streamId: number): boolean {
    const chunk = this.endedIn.get(streamId);
    return chunk !== undefined && chunk < this.chunks;
  }
  private ended(streamId: number, endStream: boolean): void {
    if (endStream && !this.endedIn.has(streamId)) this.endedIn.set(streamId, this.chunks);
  }
  onData(streamId: number, _data: Uint8Array, endStream: boolean): void {
    this.saw(streamId);
    this.ended(streamId, endStream);
  }
  onHeaders(streamId: number, _block: Uint8Array, endStream: boolean): void {
    this.saw(streamId);
    this.ended(streamId, endStream);
  }
  onRstStream(streamId: number): void {
    this.saw(streamId);
  }
  onSettings(params: readonly number[]): void {
    this.settings++;
    for (let i = 0; i < params.length; i += 2) {
      if (params[i] === SettingId.INITIAL_WINDOW_SIZE)
        this.maxInitialWindow = Math.max(this.maxInitialWindow, params[i + 1]!);
    }
  }
  onSettingsAck(): void {}
  onPing(payload: Uint8Array, ack: boolean): void {
    if (!ack) this.pings.add(toHex(payload));
  }
  onGoAway(): void {}
  onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) this.connGrant += increment;
    else this.streamGrant.set(streamId, (this.streamGrant.get(streamId) ?? 0) + increment);
  }
  onStreamError(error: Http2Error): void {
    this.saw(error.streamId);
  }
  onIgnoredFrame(_type: number, streamId: number): void {
    this.saw(streamId);
  }
}

const S_OPEN = 1;
const S_ENDED = 2;
const S_RESET = 3;

/** Parses and checks the server's output. */
class OutputChecker implements FrameHandler {
  problem: string | undefined;
  bytes = 0;
  frames = 0;
  lastGoAway: { lastStreamId: number; code: number } | undefined;
  lastFrameType = -1;
  private readonly parser = new FrameParser(this, {
    role: "client",
    maxFrameSize: 16777215,
    maxHeaderBlockSize: 1 << 30,
    maxContinuationFrames: 1 << 30,
  });
  private readonly decoder = new HpackDecoder({
    maxTableSize: 0xffffffff,
    maxHeaderListSize: 1 << 30,
    maxStringLength: 1 << 30,
  });
  private readonly streams = new Map<number, number>();
  private readonly sent = new Map<number, number>();
  private connSent = 0;
  private settingsSeen = 0;
  private acks = 0;
  private errorGoAway = false;
  private readonly shadow: ClientShadow;
  private readonly trace: string[] | undefined;

  constructor(shadow: ClientShadow, trace: string[] | undefined) {
    this.shadow = shadow;
    this.trace = trace;
  }

  private fail(what: string): void {
    this.problem ??= what;
  }

  take(output: Uint8Array | undefined): void {
    if (output === undefined) return;
    this.bytes += output.length;
    try {
      this.parser.receive(output);
    } catch (e) {
      this.fail(`the output does not parse: ${String(e)}`);
    }
  }

  get atFrameBoundary(): boolean {
    return this.parser.atFrameBoundary;
  }

  private frame(type: number, streamId: number, detail = ""): void {
    this.trace?.push(`  out: type ${type} stream ${streamId} ${detail}`);
    this.frames++;
    this.lastFrameType = type;
    if (this.frames === 1 && type !== FrameType.SETTINGS)
      this.fail(`the first frame is of type ${type}, not SETTINGS`);
    if (this.errorGoAway) this.fail(`a frame of type ${type} after GOAWAY with an error`);
    if (streamId !== 0 && (streamId & 1) === 0)
      this.fail(`a frame of type ${type} on even stream ${streamId}`);
  }

  onData(streamId: number, _data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.frame(FrameType.DATA, streamId, `${flowLength}${endStream ? " END_STREAM" : ""}`);
    const st = this.streams.get(streamId);
    if (st !== S_OPEN) this.fail(`DATA on stream ${streamId} in state ${st ?? "idle"}`);
    const n = (this.sent.get(streamId) ?? 0) + flowLength;
    this.sent.set(streamId, n);
    this.connSent += flowLength;
    const s = this.shadow;
    if (this.connSent > 65535 + s.connGrant) this.fail(`DATA beyond the connection window: ${this.connSent}`);
    if (n > s.maxInitialWindow + (s.streamGrant.get(streamId) ?? 0))
      this.fail(`DATA beyond stream ${streamId}'s window: ${n}`);
    if (endStream) this.streams.set(streamId, S_ENDED);
  }
  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.frame(FrameType.HEADERS, streamId, endStream ? "END_STREAM" : "");
    try {
      this.decoder.decode(block, []);
    } catch (e) {
      this.fail(`a header block of ours does not decode: ${String(e)}`);
    }
    const st = this.streams.get(streamId);
    if (st === S_ENDED || st === S_RESET) this.fail(`HEADERS on stream ${streamId} after its end`);
    this.streams.set(streamId, endStream ? S_ENDED : S_OPEN);
  }
  onRstStream(streamId: number, code: number): void {
    this.frame(FrameType.RST_STREAM, streamId, `code ${code}`);
    const st = this.streams.get(streamId);
    // Frames on a stream we reset are ignored, but only as long as the bounded record of closed
    // streams remembers it: a stream forgotten (ids far apart share a slot) gets STREAM_CLOSED again.
    if (st === S_RESET && code !== 5) this.fail(`RST_STREAM twice on stream ${streamId}`);
    // After our END_STREAM a stream the client still sends on is half-closed (local), and an error
    // in what it sends is reset; once the client's END_STREAM has been read too, it is closed (in
    // the chunk that carries that end, the error may have come before it).
    if (st === S_ENDED && code !== 0 && this.shadow.endedBefore(streamId))
      this.fail(`RST_STREAM ${code} on stream ${streamId} after both ends`);
    if (streamId > this.shadow.maxStreamId)
      this.fail(`RST_STREAM on stream ${streamId}, never opened by the client`);
    this.streams.set(streamId, S_RESET);
  }
  onSettings(): void {
    this.frame(FrameType.SETTINGS, 0);
    if (++this.settingsSeen > 1) this.fail("a second SETTINGS from the server");
  }
  onSettingsAck(): void {
    this.frame(FrameType.SETTINGS, 0);
    if (++this.acks > this.shadow.settings) this.fail("more SETTINGS ACKs than the client's SETTINGS");
  }
  onPing(payload: Uint8Array, ack: boolean): void {
    this.frame(FrameType.PING, 0);
    if (ack && !this.shadow.pings.has(toHex(payload)))
      this.fail("a PING ACK for a PING the client never sent");
  }
  onGoAway(lastStreamId: number, code: number): void {
    this.frame(FrameType.GOAWAY, 0, `last ${lastStreamId} code ${code}`);
    if (this.lastGoAway !== undefined && lastStreamId > this.lastGoAway.lastStreamId) {
      this.fail(`GOAWAY's last stream id grew from ${this.lastGoAway.lastStreamId} to ${lastStreamId}`);
    }
    this.lastGoAway = { lastStreamId, code };
    if (code !== 0) this.errorGoAway = true;
  }
  onWindowUpdate(streamId: number): void {
    this.frame(FrameType.WINDOW_UPDATE, streamId);
  }
  onStreamError(error: Http2Error): void {
    this.fail(`a malformed frame from the server: ${error.message}`);
  }
  onIgnoredFrame(type: number): void {
    this.fail(`a frame of type ${type} from the server`);
  }
}

/** Runs one input through a server connection; checks every invariant. */
export function runConnectionInput(
  inputSeed: number,
  seeds: readonly Uint8Array[][],
  trace?: string[],
): FuzzOutcome {
  const rnd = new Random(inputSeed);
  const input = makeInput(rnd, seeds);
  const options: ServerConnectionOptions = {
    maxConcurrentStreams: rnd.pick([100, 3, 1]),
    initialWindowSize: rnd.pick([65535, 65535, 1000, 0]),
    connectionWindowSize: rnd.pick([4 << 20, 65535]),
    maxFrameSize: rnd.pick([16384, 16384, 100000]),
    maxHeaderListSize: rnd.pick([16384, 1000]),
    headerTableSize: rnd.pick([4096, 4096, 0]),
    streamHighWaterMark: rnd.pick([65536, 100]),
    resetBudget: rnd.pick([1000, 5]),
  };
  const app = new FuzzApp(rnd, trace);
  const conn = new ServerConnection<AppStream>(app, options);
  app.conn = conn;
  const shadow = new ClientShadow();
  const checker = new OutputChecker(shadow, trace);
  const outcome = (failure: string | undefined): FuzzOutcome => ({
    failure,
    inputLength: input.length,
    error: app.closedWith?.message,
  });
  checker.take(conn.takeOutput());
  for (const c of chunks(rnd, input)) {
    trace?.push(`in: ${toHex(c)}`);
    shadow.receive(c);
    try {
      conn.receive(c);
    } catch (e) {
      return outcome(`receive threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    if (rnd.int(3) === 0) {
      trace?.push("app acts");
      app.act();
    }
    checker.take(conn.takeOutput());
    if (app.problem ?? checker.problem) break;
  }
  // the application finishes what it can, then the transport closes
  for (let i = 0; i < 3 && app.problem === undefined; i++) {
    app.wrapUp();
    checker.take(conn.takeOutput());
  }
  const closedByProtocol = app.closes > 0;
  const error = app.closedWith;
  conn.transportClosed();
  checker.take(conn.takeOutput());
  if (app.problem !== undefined) return outcome(app.problem);
  if (checker.problem !== undefined) return outcome(checker.problem);
  if (!checker.atFrameBoundary) return outcome("the output ends inside a frame");
  if (app.closes !== 1) return outcome(`onConnectionClose called ${app.closes} times`);
  for (const s of app.streams.values()) {
    if (s.closed === 0) return outcome(`stream ${s.id} never closed`);
  }
  if (closedByProtocol && error !== undefined) {
    if (checker.lastFrameType !== FrameType.GOAWAY || checker.lastGoAway?.code !== error.code) {
      return outcome(`closed with ${error.message} but the last frame is not GOAWAY with its code`);
    }
  }
  if (conn.streamCount !== 0)
    return outcome(`${conn.streamCount} streams counted after the transport closed`);
  const bound = 65536 + 8 * input.length + 2 * app.written + 300 * app.streams.size;
  if (checker.bytes > bound) return outcome(`${checker.bytes} octets of output for ${input.length} of input`);
  return outcome(undefined);
}

// ---- running many ----

export interface FuzzRunOptions {
  readonly target: FuzzTarget;
  readonly seed: number;
  /** Stop after this many inputs... */
  readonly maxInputs: number;
  /** ...or this long, whichever comes first. */
  readonly maxMs: number;
  /** An input taking longer than this is a failure (a hang, or work out of proportion). */
  readonly slowMs?: number;
  /** Time source (performance.now in the callers). */
  readonly now: () => number;
}

export interface FuzzRunResult {
  readonly inputs: number;
  readonly octets: number;
  /** Inputs the parser or the connection rejected with a connection error. */
  readonly connectionErrors: number;
  readonly failures: { inputSeed: number; message: string }[];
}

/** The seed of the `i`th input of a run. */
export function inputSeedOf(seed: number, i: number): number {
  return (Math.imul(i + 1, 0x9e3779b1) ^ seed) >>> 0;
}

/** Runs inputs until the count or the time runs out, or a failure; returns what happened. */
export function fuzz(options: FuzzRunOptions): FuzzRunResult {
  const seeds = seedExchanges();
  const run = options.target === "parser" ? runParserInput : runConnectionInput;
  const start = options.now();
  const slowMs = options.slowMs ?? 2000;
  let inputs = 0;
  let octets = 0;
  let connectionErrors = 0;
  const failures: { inputSeed: number; message: string }[] = [];
  for (let i = 0; i < options.maxInputs && options.now() - start < options.maxMs; i++) {
    const inputSeed = inputSeedOf(options.seed, i);
    const t0 = options.now();
    let outcome: FuzzOutcome;
    try {
      outcome = run(inputSeed, seeds);
    } catch (e) {
      outcome = { failure: `the harness threw ${String(e)}`, inputLength: 0, error: undefined };
    }
    const took = options.now() - t0;
    inputs++;
    octets += outcome.inputLength;
    if (outcome.error !== undefined) connectionErrors++;
    if (outcome.failure === undefined && took > slowMs) {
      outcome = { ...outcome, failure: `took ${Math.round(took)} ms (over ${slowMs})` };
    }
    if (outcome.failure !== undefined) {
      failures.push({ inputSeed, message: outcome.failure });
      break;
    }
  }
  return { inputs, octets, connectionErrors, failures };
}

/** The input of a seed, for a report. */
export function inputOf(inputSeed: number): Uint8Array {
  return makeInput(new Random(inputSeed), seedExchanges());
}
