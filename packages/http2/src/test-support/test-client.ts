/**
 * A hand-driven HTTP/2 client for tests: builds frames with our frame writers and HPACK
 * encoder, and reads what a connection sends back into events (header blocks decoded).
 */
import { ByteWriter } from "../byte-writer.js";
import { CONNECTION_PREFACE } from "../frame/frame-types.js";
import { writeSettings } from "../frame/frame-writer.js";
import { type PeerFrame, TestPeer } from "./test-peer.js";

/** A frame the server sent. */
export type ServerFrame = PeerFrame;

export class TestClient extends TestPeer {
  constructor() {
    super("client");
  }

  /** The client connection preface and a SETTINGS frame (`[id, value, ...]`). */
  preface(settings: number[] = []): Uint8Array {
    const w = new ByteWriter();
    w.bytes(CONNECTION_PREFACE);
    writeSettings(w, settings);
    return w.view().slice();
  }

  /** A header block fragment (HPACK), for hand-made HEADERS/CONTINUATION sequences. */
  block(fields: string[]): Uint8Array {
    const block = new ByteWriter();
    this.encoder.encode(block, fields);
    return block.view().slice();
  }

  /** Parses what the server sent; returns the new frames (all are kept in `frames`). */
  read(bytes: Uint8Array | undefined): ServerFrame[] {
    const before = this.frames.length;
    if (bytes !== undefined) this.parser.receive(bytes);
    return this.frames.slice(before);
  }
}
