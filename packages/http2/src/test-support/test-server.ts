/**
 * A hand-driven HTTP/2 server for tests of the client connection: builds the server's frames with
 * our frame writers and HPACK encoder, and reads what a client connection sends (its preface
 * checked, header blocks decoded) into events.
 */
import { ByteWriter } from "../byte-writer.js";
import type { Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import { CONNECTION_PREFACE } from "../frame/frame-types.js";
import { writeHeadersFrame, writeSettings } from "../frame/frame-writer.js";
import { HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";
import { toHex } from "./hex.js";

export type ClientFrame =
  | { type: "headers"; streamId: number; headers: string[]; endStream: boolean }
  | { type: "data"; streamId: number; data: string; endStream: boolean; length: number }
  | { type: "rst"; streamId: number; code: number }
  | { type: "settings"; params: number[] }
  | { type: "settings-ack" }
  | { type: "ping"; payload: string; ack: boolean }
  | { type: "goaway"; lastStreamId: number; code: number; debug: string }
  | { type: "window-update"; streamId: number; increment: number };

export class TestServer implements FrameHandler {
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
  /** Raw HPACK blocks as received, to check how fields were encoded. */
  readonly blocks: Uint8Array[] = [];
  private readonly parser: FrameParser;
  private prefaceLeft = CONNECTION_PREFACE.length;
  frames: ClientFrame[] = [];

  constructor() {
    this.parser = new FrameParser(this, {
      role: "server",
      maxFrameSize: 1 << 24,
      maxHeaderBlockSize: 1 << 24,
    });
  }

  /** The server's SETTINGS frame (`[id, value, ...]`). */
  settings(params: number[] = []): Uint8Array {
    return this.build((w) => writeSettings(w, params));
  }

  /** A HEADERS frame with the HPACK encoding of `fields`. */
  headers(streamId: number, fields: string[], endStream: boolean): Uint8Array {
    return this.build((w) => {
      const block = new ByteWriter();
      this.encoder.encode(block, fields);
      writeHeadersFrame(w, streamId, block.view(), { endStream });
    });
  }

  build(...writers: ((w: ByteWriter) => void)[]): Uint8Array {
    const w = new ByteWriter();
    for (const f of writers) f(w);
    return w.view().slice();
  }

  /** Parses what the client sent (its preface first); returns the new frames. */
  read(bytes: Uint8Array | undefined): ClientFrame[] {
    const before = this.frames.length;
    if (bytes === undefined) return [];
    let input = bytes;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, input.length);
      const at = CONNECTION_PREFACE.length - this.prefaceLeft;
      for (let i = 0; i < n; i++) {
        if (input[i] !== CONNECTION_PREFACE[at + i]) throw new Error("not the client connection preface");
      }
      this.prefaceLeft -= n;
      input = input.subarray(n);
    }
    if (input.length > 0) this.parser.receive(input);
    return this.frames.slice(before);
  }

  onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.frames.push({ type: "data", streamId, data: toHex(data), endStream, length: flowLength });
  }
  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.blocks.push(block.slice());
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
