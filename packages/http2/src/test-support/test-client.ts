/**
 * A hand-driven HTTP/2 client for tests: builds frames with our frame writers and HPACK
 * encoder, and reads what a connection sends back into events (header blocks decoded).
 */
import { ByteWriter } from "../byte-writer.js";
import type { Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import { CONNECTION_PREFACE } from "../frame/frame-types.js";
import { writeHeadersFrame, writeSettings } from "../frame/frame-writer.js";
import { HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";
import { toHex } from "./hex.js";

export type ServerFrame =
  | { type: "headers"; streamId: number; headers: string[]; endStream: boolean }
  | { type: "data"; streamId: number; data: string; endStream: boolean; length: number }
  | { type: "rst"; streamId: number; code: number }
  | { type: "settings"; params: number[] }
  | { type: "settings-ack" }
  | { type: "ping"; payload: string; ack: boolean }
  | { type: "goaway"; lastStreamId: number; code: number; debug: string }
  | { type: "window-update"; streamId: number; increment: number };

export class TestClient implements FrameHandler {
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
  private readonly parser: FrameParser;
  frames: ServerFrame[] = [];

  constructor() {
    this.parser = new FrameParser(this, {
      role: "client",
      maxFrameSize: 1 << 24,
      maxHeaderBlockSize: 1 << 24,
    });
  }

  /** The client connection preface and a SETTINGS frame (`[id, value, ...]`). */
  preface(settings: number[] = []): Uint8Array {
    const w = new ByteWriter();
    w.bytes(CONNECTION_PREFACE);
    writeSettings(w, settings);
    return w.view().slice();
  }

  /** A HEADERS frame with the HPACK encoding of `fields`. */
  headers(streamId: number, fields: string[], endStream: boolean): Uint8Array {
    return this.build((w) => {
      const block = new ByteWriter();
      this.encoder.encode(block, fields);
      writeHeadersFrame(w, streamId, block.view(), { endStream });
    });
  }

  /** A header block fragment (HPACK), for hand-made HEADERS/CONTINUATION sequences. */
  block(fields: string[]): Uint8Array {
    const block = new ByteWriter();
    this.encoder.encode(block, fields);
    return block.view().slice();
  }

  build(...writers: ((w: ByteWriter) => void)[]): Uint8Array {
    const w = new ByteWriter();
    for (const f of writers) f(w);
    return w.view().slice();
  }

  /** Parses what the server sent; returns the new frames (all are kept in `frames`). */
  read(bytes: Uint8Array | undefined): ServerFrame[] {
    const before = this.frames.length;
    if (bytes !== undefined) this.parser.receive(bytes);
    return this.frames.slice(before);
  }

  /** The server's output arrives in whole frames, so each DATA frame is one call. */
  onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.frames.push({ type: "data", streamId, data: toHex(data), endStream, length: flowLength });
  }
  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    const headers: string[] = [];
    this.decoder.decode(block, headers);
    this.frames.push({ type: "headers", streamId, headers, endStream });
  }
  onRstStream(streamId: number, code: number): void {
    this.frames.push({ type: "rst", streamId, code });
  }
  onSettings(params: readonly number[]): void {
    this.frames.push({ type: "settings", params: [...params] });
  }
  onSettingsAck(): void {
    this.frames.push({ type: "settings-ack" });
  }
  onPing(payload: Uint8Array, ack: boolean): void {
    this.frames.push({ type: "ping", payload: toHex(payload), ack });
  }
  onGoAway(lastStreamId: number, code: number, debug: Uint8Array): void {
    this.frames.push({ type: "goaway", lastStreamId, code, debug: String.fromCharCode(...debug) });
  }
  onWindowUpdate(streamId: number, increment: number): void {
    this.frames.push({ type: "window-update", streamId, increment });
  }
  onStreamError(error: Http2Error): void {
    throw error;
  }
  onIgnoredFrame(): void {}
}
