import type { Http2Error } from "../errors.js";
import type { FrameHandler } from "../frame/frame-parser.js";
import { toHex } from "./hex.js";

/** One parser event, with payloads as hex so events compare with `deepEqual`. */
export type FrameEvent =
  | { kind: "data"; streamId: number; data: string; endStream: boolean; flow: number }
  | { kind: "headers"; streamId: number; block: string; endStream: boolean }
  | { kind: "rst"; streamId: number; code: number }
  | { kind: "settings"; params: number[] }
  | { kind: "settings-ack" }
  | { kind: "ping"; payload: string; ack: boolean }
  | { kind: "goaway"; lastStreamId: number; code: number; debug: string }
  | { kind: "window-update"; streamId: number; increment: number }
  | { kind: "stream-error"; streamId: number; code: number }
  | { kind: "ignored"; type: number; streamId: number; length: number };

/**
 * Records what a `FrameParser` reports. Consecutive DATA pieces of one stream are merged (how
 * DATA is cut into pieces depends on how the input was cut), so the events of one byte stream
 * are the same however it is split.
 */
export class FrameRecorder implements FrameHandler {
  events: FrameEvent[] = [];
  /** Every DATA view handed out, to check that they are views of the input, not copies. */
  dataViews: Uint8Array[] = [];

  onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.dataViews.push(data);
    const last = this.events[this.events.length - 1];
    if (last !== undefined && last.kind === "data" && last.streamId === streamId && !last.endStream) {
      last.data += toHex(data);
      last.endStream = endStream;
      last.flow += flowLength;
      return;
    }
    this.events.push({ kind: "data", streamId, data: toHex(data), endStream, flow: flowLength });
  }
  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.events.push({ kind: "headers", streamId, block: toHex(block), endStream });
  }
  onRstStream(streamId: number, code: number): void {
    this.events.push({ kind: "rst", streamId, code });
  }
  onSettings(params: readonly number[]): void {
    this.events.push({ kind: "settings", params: [...params] });
  }
  onSettingsAck(): void {
    this.events.push({ kind: "settings-ack" });
  }
  onPing(payload: Uint8Array, ack: boolean): void {
    this.events.push({ kind: "ping", payload: toHex(payload), ack });
  }
  onGoAway(lastStreamId: number, code: number, debug: Uint8Array): void {
    this.events.push({ kind: "goaway", lastStreamId, code, debug: toHex(debug) });
  }
  onWindowUpdate(streamId: number, increment: number): void {
    this.events.push({ kind: "window-update", streamId, increment });
  }
  onStreamError(error: Http2Error): void {
    this.events.push({ kind: "stream-error", streamId: error.streamId, code: error.code });
  }
  onIgnoredFrame(type: number, streamId: number, length: number): void {
    this.events.push({ kind: "ignored", type, streamId, length });
  }
}
