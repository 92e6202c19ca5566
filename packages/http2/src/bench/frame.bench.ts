/**
 * Frame layer micro-benchmark: parse throughput for large DATA frames (MB/s, input in 64 KiB
 * chunks as a socket would give it) and frames/s for the small frames of unary gRPC calls.
 *
 *   node --conditions=source --import tsx packages/http2/src/bench/frame.bench.ts
 */
import { ByteWriter } from "../byte-writer.js";
import type { Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import { writeData, writeHeadersFrame, writeWindowUpdate } from "../frame/frame-writer.js";

class CountingHandler implements FrameHandler {
  bytes = 0;
  frames = 0;
  onData(_s: number, data: Uint8Array, _e: boolean, _f: number): void {
    this.bytes += data.length;
    this.frames++;
  }
  onHeaders(_s: number, block: Uint8Array, _e: boolean): void {
    this.bytes += block.length;
    this.frames++;
  }
  onRstStream(): void {}
  onSettings(): void {}
  onSettingsAck(): void {}
  onPing(): void {}
  onGoAway(): void {}
  onWindowUpdate(): void {
    this.frames++;
  }
  onStreamError(_e: Http2Error): void {}
  onIgnoredFrame(): void {}
}

function median(label: string, unit: string, runs: number, fn: () => number): void {
  fn();
  const results: number[] = [];
  for (let i = 0; i < runs; i++) results.push(fn());
  results.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} ${results[runs >> 1]!.toFixed(1).padStart(8)} ${unit}`);
}

// 64 MiB of 16 KiB DATA frames, fed in 64 KiB chunks
{
  const w = new ByteWriter(1 << 20);
  const payload = new Uint8Array(16384).fill(7);
  for (let i = 0; i < 64; i++) writeData(w, 1, payload, false);
  const block = w.view().slice(); // ~1 MiB
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < block.length; at += 65536) chunks.push(block.subarray(at, at + 65536));
  median("parse 16 KiB DATA frames in 64 KiB chunks", "MB/s", 5, () => {
    const h = new CountingHandler();
    const p = new FrameParser(h, { role: "server" });
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < 64; r++) for (const c of chunks) p.receive(c);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return (block.length * 64) / s / 1e6;
  });
  median("parse 16 KiB DATA frames cut at odd 1500-octet chunks", "MB/s", 5, () => {
    const h = new CountingHandler();
    const p = new FrameParser(h, { role: "server" });
    const odd: Uint8Array[] = [];
    for (let at = 0; at < block.length; at += 1500) odd.push(block.subarray(at, at + 1500));
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < 64; r++) for (const c of odd) p.receive(c);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return (block.length * 64) / s / 1e6;
  });
}

// unary gRPC calls as a client sends them: HEADERS (9-octet warm block), DATA (5 + 20), WINDOW_UPDATE
{
  const w = new ByteWriter(1 << 16);
  const headerBlock = new Uint8Array(15).fill(0xbe);
  const message = new Uint8Array(25);
  for (let i = 0; i < 1000; i++) {
    const id = 1 + 2 * i;
    writeHeadersFrame(w, id, headerBlock, {});
    writeData(w, id, message, true);
    writeWindowUpdate(w, 0, 25);
  }
  const batch = w.view().slice();
  median("parse small frames of 1000 unary calls per chunk", "M frames/s", 7, () => {
    const h = new CountingHandler();
    const p = new FrameParser(h, { role: "server" });
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < 500; r++) p.receive(batch);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return h.frames / s / 1e6;
  });
}

// encoding: one unary response (HEADERS, DATA, trailers HEADERS) into a reused writer
{
  const w = new ByteWriter(1 << 16);
  const headerBlock = new Uint8Array(3).fill(0xbe);
  const message = new Uint8Array(25);
  median("write HEADERS + DATA + HEADERS (a unary response)", "ns/response", 7, () => {
    const n = 1_000_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (w.pos > 60000) w.reset();
      writeHeadersFrame(w, 1, headerBlock, {});
      writeData(w, 1, message, false);
      writeHeadersFrame(w, 1, headerBlock, { endStream: true });
    }
    return Number(process.hrtime.bigint() - t0) / n;
  });
}
