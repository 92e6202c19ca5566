/**
 * A hand-driven HTTP/2 client over a real socket, for tests that must see a server's frames one
 * by one (which GOAWAY, with which last stream id and debug data, which PINGs) and choose when to
 * answer them: it sends the preface and acknowledges the server's SETTINGS, records every frame,
 * and answers PINGs only when `autoPing` is on. Built from the engine's frame and HPACK layers.
 */
import { connect, type Socket } from "node:net";
import { ByteWriter } from "@grpc-ts/http2";
import {
  CONNECTION_PREFACE,
  type FrameHandler,
  FrameParser,
  writeData,
  writeHeadersFrame,
  writePing,
  writeSettings,
  writeSettingsAck,
} from "@grpc-ts/http2/frame";
import { HpackDecoder, HpackEncoder } from "@grpc-ts/http2/hpack";

export type RecordedFrame =
  | {
      readonly type: "headers";
      readonly streamId: number;
      readonly fields: string[];
      readonly endStream: boolean;
    }
  | { readonly type: "data"; readonly streamId: number; readonly length: number; readonly endStream: boolean }
  | { readonly type: "rst"; readonly streamId: number; readonly code: number }
  | { readonly type: "settings" }
  | { readonly type: "ping"; readonly payload: string; readonly ack: boolean }
  | { readonly type: "goaway"; readonly lastStreamId: number; readonly code: number; readonly debug: string }
  | { readonly type: "window-update" };

export interface FrameClient {
  readonly frames: readonly RecordedFrame[];
  /** When each of `frames` arrived (`performance.now()`). */
  readonly times: readonly number[];
  /** Answer the server's PINGs (default true). */
  autoPing: boolean;
  /** The socket closed. */
  readonly closed: Promise<void>;
  /** The first frame from now or already recorded that matches, within `ms`. */
  waitFor(match: (f: RecordedFrame) => boolean, ms: number, what: string): Promise<RecordedFrame>;
  /** A gRPC request's HEADERS on `streamId` (odd, increasing). */
  request(streamId: number, path: string, endStream?: boolean): void;
  data(streamId: number, bytes: Uint8Array, endStream: boolean): void;
  ping(payloadHex: string, ack: boolean): void;
  destroy(): void;
}

export function connectFrameClient(port: number, host = "127.0.0.1"): Promise<FrameClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    const frames: RecordedFrame[] = [];
    const times: number[] = [];
    const waiters = new Set<() => void>();
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
    const write = (build: (w: ByteWriter) => void) => {
      const w = new ByteWriter();
      build(w);
      if (!socket.destroyed) socket.write(w.view().slice());
    };
    let client: FrameClient;
    const record = (f: RecordedFrame) => {
      frames.push(f);
      times.push(performance.now());
      for (const w of [...waiters]) w();
    };
    const handler: FrameHandler = {
      onData: (streamId, data, endStream) =>
        record({ type: "data", streamId, length: data.length, endStream }),
      onHeaders: (streamId, block, endStream) => {
        const fields: string[] = [];
        decoder.decode(block, fields);
        record({ type: "headers", streamId, fields, endStream });
      },
      onRstStream: (streamId, code) => record({ type: "rst", streamId, code }),
      onSettings: () => {
        write((w) => writeSettingsAck(w));
        record({ type: "settings" });
      },
      onSettingsAck: () => {},
      onPing: (payload, ack) => {
        if (!ack && client.autoPing) write((w) => writePing(w, payload, true));
        record({ type: "ping", payload: Buffer.from(payload).toString("hex"), ack });
      },
      onGoAway: (lastStreamId, code, debug) =>
        record({ type: "goaway", lastStreamId, code, debug: Buffer.from(debug).toString("latin1") }),
      onWindowUpdate: () => record({ type: "window-update" }),
      onStreamError: () => {},
      onIgnoredFrame: () => {},
    };
    const parser = new FrameParser(handler, { role: "client", maxFrameSize: 16384 });
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      try {
        parser.receive(chunk);
      } catch {
        socket.destroy();
      }
    });
    client = {
      frames,
      times,
      autoPing: true,
      closed,
      waitFor(match, ms, what) {
        return new Promise((res, rej) => {
          let seen = 0;
          const check = () => {
            for (; seen < frames.length; seen++) {
              const f = frames[seen]!;
              if (match(f)) {
                clearTimeout(timer);
                waiters.delete(check);
                res(f);
                return;
              }
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`${what}: not seen within ${ms} ms; frames: ${JSON.stringify(frames)}`));
          }, ms);
          waiters.add(check);
          check();
        });
      },
      request(streamId, path, endStream = false) {
        const block = new ByteWriter();
        encoder.encode(block, [
          ":method",
          "POST",
          ":scheme",
          "http",
          ":path",
          path,
          ":authority",
          `${host}:${port}`,
          "content-type",
          "application/grpc",
          "te",
          "trailers",
        ]);
        write((w) => writeHeadersFrame(w, streamId, block.view(), { endStream }));
      },
      data(streamId, bytes, endStream) {
        write((w) => writeData(w, streamId, bytes, endStream));
      },
      ping(payloadHex, ack) {
        write((w) => writePing(w, Buffer.from(payloadHex, "hex"), ack));
      },
      destroy() {
        socket.destroy();
      },
    };
    socket.once("connect", () => {
      write((w) => {
        w.bytes(CONNECTION_PREFACE);
        writeSettings(w, []);
      });
      resolve(client);
    });
    socket.once("error", reject);
  });
}
