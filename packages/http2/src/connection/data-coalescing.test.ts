/**
 * Small writes to one stream, made between two takes of the output, leave as one DATA frame (the
 * peer parses one frame per batch, not per message); never past the peer's frame size, never
 * across another frame, and never into output already taken.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SettingId } from "../frame/settings.js";
import { GET, setup } from "../test-support/server-setup.js";
import type { ServerFrame } from "../test-support/test-client.js";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const data = (frames: ServerFrame[]) =>
  frames.flatMap((f) =>
    f.type === "data" ? [{ streamId: f.streamId, length: f.length, end: f.endStream }] : [],
  );

function open(ids: number[]) {
  const s = setup({}, [SettingId.INITIAL_WINDOW_SIZE, 1 << 20]);
  for (const id of ids) {
    s.send(s.client.headers(id, GET, true));
    s.conn.respond(id, [":status", "200"], false);
  }
  s.flush();
  return s;
}

test("writes to one stream in one batch are one DATA frame, the payloads in order", () => {
  const s = open([1]);
  for (let i = 0; i < 10; i++) assert.equal(s.conn.write(1, bytes(105, i)), true);
  const frames = s.flush();
  assert.deepEqual(data(frames), [{ streamId: 1, length: 1050, end: false }]);
  const payload = frames[0]?.type === "data" ? frames[0].data : "";
  for (let i = 0; i < 10; i++)
    assert.equal(payload.slice(i * 210, i * 210 + 2), i.toString(16).padStart(2, "0"));
});

test("a frame never grows past the peer's SETTINGS_MAX_FRAME_SIZE (16384 here)", () => {
  const s = open([1]);
  for (let i = 0; i < 40; i++) s.conn.write(1, bytes(1000, 1));
  assert.deepEqual(
    data(s.flush()).map((f) => f.length),
    [16000, 16000, 8000],
  );
});

test("another stream's frame in between starts a new frame; output taken is never extended", () => {
  const s = open([1, 3]);
  s.conn.write(1, bytes(10, 1));
  s.conn.write(1, bytes(10, 1));
  s.conn.write(3, bytes(10, 3));
  s.conn.write(1, bytes(10, 1));
  assert.deepEqual(data(s.flush()), [
    { streamId: 1, length: 20, end: false },
    { streamId: 3, length: 10, end: false },
    { streamId: 1, length: 10, end: false },
  ]);
  s.conn.write(1, bytes(10, 1));
  s.conn.end(1, ["grpc-status", "0"]);
  const frames = s.flush();
  assert.deepEqual(data(frames), [{ streamId: 1, length: 10, end: false }]);
  assert.equal(frames.at(-1)?.type, "headers");
});
