import type { ServerConnectionListener } from "../connection/server-connection.js";
import type { Http2Error } from "../errors.js";
import { toHex } from "./hex.js";

/** What the application saw, in order. */
export type AppEvent =
  | ["open", number, string[], boolean]
  | ["data", number, string]
  | ["trailers", number, string[]]
  | ["end", number]
  | ["drain", number]
  | ["close", number, number]
  | ["goaway", number, number]
  | ["ping-ack", string]
  | ["connection-close", string | undefined];

/** A server application for tests: records events; a stream is its id. */
export class RecordingApp implements ServerConnectionListener<number> {
  events: AppEvent[] = [];
  closedWith: Http2Error | undefined;
  /** Called at each event, to script reactions (respond, write...) from inside callbacks. */
  react: ((event: AppEvent) => void) | undefined;

  private push(e: AppEvent): void {
    this.events.push(e);
    this.react?.(e);
  }
  onStreamOpen(streamId: number, headers: string[], endStream: boolean): number {
    this.push(["open", streamId, headers, endStream]);
    return streamId;
  }
  onStreamData(stream: number, data: Uint8Array): void {
    this.push(["data", stream, toHex(data)]);
  }
  onStreamTrailers(stream: number, trailers: string[]): void {
    this.push(["trailers", stream, trailers]);
  }
  onStreamEnd(stream: number): void {
    this.push(["end", stream]);
  }
  onStreamDrain(stream: number): void {
    this.push(["drain", stream]);
  }
  onStreamClose(stream: number, errorCode: number): void {
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
