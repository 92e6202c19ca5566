import type { ClientConnectionListener } from "../connection/client-connection.js";
import type { Http2Error } from "../errors.js";
import { toHex } from "./hex.js";

/** What a client application saw, in order; a stream is the name the test gave it. */
export type ClientAppEvent =
  | ["ready"]
  | ["headers", string, string[], boolean]
  | ["data", string, string]
  | ["trailers", string, string[]]
  | ["end", string]
  | ["drain", string]
  | ["close", string, number]
  | ["goaway", number, number]
  | ["ping-ack", string]
  | ["connection-close", string | undefined];

/** A client application for tests: records events. */
export class RecordingClientApp implements ClientConnectionListener<string> {
  events: ClientAppEvent[] = [];
  closedWith: Http2Error | undefined;
  /** Called at each event, to script reactions (consume, write...) from inside callbacks. */
  react: ((event: ClientAppEvent) => void) | undefined;

  /** The events since the last call. */
  take(): ClientAppEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  private push(e: ClientAppEvent): void {
    this.events.push(e);
    this.react?.(e);
  }
  onReady(): void {
    this.push(["ready"]);
  }
  onStreamHeaders(stream: string, headers: string[], endStream: boolean): void {
    this.push(["headers", stream, headers, endStream]);
  }
  onStreamData(stream: string, data: Uint8Array): void {
    this.push(["data", stream, toHex(data)]);
  }
  onStreamTrailers(stream: string, trailers: string[]): void {
    this.push(["trailers", stream, trailers]);
  }
  onStreamEnd(stream: string): void {
    this.push(["end", stream]);
  }
  onStreamDrain(stream: string): void {
    this.push(["drain", stream]);
  }
  onStreamClose(stream: string, errorCode: number): void {
    this.push(["close", stream, errorCode]);
  }
  onGoAway(lastStreamId: number, errorCode: number): void {
    this.push(["goaway", lastStreamId, errorCode]);
  }
  onPingAck(payload: Uint8Array): void {
    this.push(["ping-ack", toHex(payload)]);
  }
  onConnectionClose(error: Http2Error | undefined): void {
    this.closedWith = error;
    this.push(["connection-close", error?.message]);
  }
}
