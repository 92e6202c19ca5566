/**
 * What both hand-driven test peers (`TestClient`, `TestServer`) share: frames built with our frame
 * writers and HPACK encoder, and what the connection under test sends, parsed into events with
 * header blocks decoded.
 */
import { ByteWriter } from "../byte-writer.js";
import type { Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import { writeHeadersFrame } from "../frame/frame-writer.js";
import { HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";
import { toHex } from "./hex.js";

/** One frame the connection under test sent, payloads as hex so frames compare with `deepEqual`. */
export type PeerFrame =
  | { type: "headers"; streamId: number; headers: string[]; endStream: boolean }
  | { type: "data"; streamId: number; data: string; endStream: boolean; length: number }
  | { type: "rst"; streamId: number; code: number }
  | { type: "settings"; params: number[] }
  | { type: "settings-ack" }
  | { type: "ping"; payload: string; ack: boolean }
  | { type: "goaway"; lastStreamId: number; code: number; debug: string }
  | { type: "window-update"; streamId: number; increment: number };

export abstract class TestPeer implements FrameHandler {
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
  /** Raw HPACK blocks as received, to check how fields were encoded. */
  readonly blocks: Uint8Array[] = [];
  protected readonly parser: FrameParser;
  frames: PeerFrame[] = [];

  /** `role` is this peer's: the connection under test is the other one. */
  constructor(role: "client" | "server") {
    this.parser = new FrameParser(this, { role, maxFrameSize: 1 << 24, maxHeaderBlockSize: 1 << 24 });
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

  /** Output arrives in whole frames, so each DATA frame is one call. */
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
