/**
 * A server connection past its handshake, with a hand-driven client (`TestClient`) and a
 * recording application, for tests that speak to it frame by frame.
 */
import assert from "node:assert/strict";
import { ServerConnection, type ServerConnectionOptions } from "../connection/server-connection.js";
import { writeSettingsAck } from "../frame/frame-writer.js";
import { RecordingApp } from "./recording-app.js";
import { type ServerFrame, TestClient } from "./test-client.js";

export const GET = [
  ":method",
  "POST",
  ":scheme",
  "http",
  ":path",
  "/pkg.Svc/Method",
  ":authority",
  "localhost",
];

export interface Setup {
  conn: ServerConnection<number>;
  app: RecordingApp;
  client: TestClient;
  /** Sends bytes to the server and returns the frames it answered with. */
  send(...chunks: Uint8Array[]): ServerFrame[];
  /** Frames the server has output since the last read (after application calls). */
  flush(): ServerFrame[];
}

export function setup(options: ServerConnectionOptions = {}, clientSettings: number[] = []): Setup {
  const app = new RecordingApp();
  const conn = new ServerConnection<number>(app, options);
  const client = new TestClient();
  const flush = () => client.read(conn.takeOutput());
  const send = (...chunks: Uint8Array[]) => {
    for (const c of chunks) conn.receive(c);
    return flush();
  };
  const hello = send(client.preface(clientSettings));
  assert.equal(hello[0]!.type, "settings");
  assert.deepEqual(hello[hello.length - 1], { type: "settings-ack" });
  send(client.build((w) => writeSettingsAck(w)));
  return { conn, app, client, send, flush };
}

export function goaway(frames: ServerFrame[]): { code: number; lastStreamId: number } | undefined {
  const g = frames.find((f) => f.type === "goaway");
  return g?.type === "goaway" ? { code: g.code, lastStreamId: g.lastStreamId } : undefined;
}

export function rst(frames: ServerFrame[], streamId: number): number | undefined {
  const r = frames.find((f) => f.type === "rst" && f.streamId === streamId);
  return r?.type === "rst" ? r.code : undefined;
}
