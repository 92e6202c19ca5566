/**
 * A hand-driven HTTP/2 server for tests of the client connection: builds the server's frames with
 * our frame writers and HPACK encoder, and reads what a client connection sends (its preface
 * checked, header blocks decoded) into events.
 */
import { CONNECTION_PREFACE } from "../frame/frame-types.js";
import { writeSettings } from "../frame/frame-writer.js";
import { type PeerFrame, TestPeer } from "./test-peer.js";

/** A frame the client sent. */
export type ClientFrame = PeerFrame;

export class TestServer extends TestPeer {
  private prefaceLeft = CONNECTION_PREFACE.length;

  constructor() {
    super("server");
  }

  /** The server's SETTINGS frame (`[id, value, ...]`). */
  settings(params: number[] = []): Uint8Array {
    return this.build((w) => writeSettings(w, params));
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
}
