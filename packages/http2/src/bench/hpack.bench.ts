/**
 * HPACK micro-benchmark: ns per header list for a gRPC unary request, response headers and
 * trailers, encoded and decoded on a warm connection (tables filled, as in steady state) and
 * on fresh ones (every literal Huffman-coded and inserted).
 *
 *   node --conditions=source --import tsx packages/http2/src/bench/hpack.bench.ts
 */
import { ByteWriter } from "../byte-writer.js";
import { HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";

// biome-ignore format: one field per line
const REQUEST = [
  ":method", "POST",
  ":scheme", "http",
  ":path", "/grpc.testing.TestService/UnaryCall",
  ":authority", "localhost:50051",
  "content-type", "application/grpc",
  "te", "trailers",
  "grpc-accept-encoding", "identity,deflate,gzip",
  "user-agent", "grpc-node-js/1.14.7",
  "grpc-timeout", "4999m",
];
const RESPONSE = [
  ":status",
  "200",
  "content-type",
  "application/grpc",
  "grpc-accept-encoding",
  "identity,gzip",
];
const TRAILERS = ["grpc-status", "0", "grpc-message", ""];
const LISTS = { request: REQUEST, response: RESPONSE, trailers: TRAILERS };

function time(label: string, iterations: number, fn: () => void): void {
  for (let i = 0; i < Math.min(iterations, 20000); i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  runs.sort((a, b) => a - b);
  console.log(`${label.padEnd(40)} ${runs[2]!.toFixed(0).padStart(6)} ns/list (median of 5 × ${iterations})`);
}

const N = 200000;
// Requests differ in their deadline: 16 variants, of which only the first is indexed.
const REQUESTS = Array.from({ length: 16 }, (_, i) => [...REQUEST.slice(0, -1), `${4990 + i}m`]);

for (const [name, list] of Object.entries(LISTS)) {
  const w = new ByteWriter();
  const warmEnc = new HpackEncoder();
  warmEnc.encode(w, list);
  if (name === "request") {
    const blocks: Uint8Array[] = [];
    let i = 0;
    time("encode request, varying grpc-timeout (warm)", N, () => {
      w.reset();
      warmEnc.encode(w, REQUESTS[i++ & 15]!);
      if (blocks.length < 16) blocks.push(w.view().slice());
    });
    const dec = new HpackDecoder();
    const first = new ByteWriter();
    const enc = new HpackEncoder();
    enc.encode(first, list);
    dec.decode(first.view(), []);
    const warm = REQUESTS.map((r) => {
      first.reset();
      enc.encode(first, r);
      return first.view().slice();
    });
    const out: string[] = [];
    time("decode request, varying grpc-timeout (warm)", N, () => {
      out.length = 0;
      dec.decode(warm[i++ & 15]!, out);
    });
    console.log(`  varying request: ${warm[1]!.length} octets warm`);
  }
  time(`encode ${name} (warm)`, N, () => {
    w.reset();
    warmEnc.encode(w, list);
  });
  const warmBlock = w.view().slice();
  const firstW = new ByteWriter();
  new HpackEncoder().encode(firstW, list);
  const firstBlock = firstW.view().slice();
  console.log(`  ${name}: ${firstBlock.length} octets first, ${warmBlock.length} warm`);

  const dec = new HpackDecoder();
  const out: string[] = [];
  dec.decode(firstBlock, out);
  time(`decode ${name} (warm)`, N, () => {
    out.length = 0;
    dec.decode(warmBlock, out);
  });
  time(`encode ${name} (fresh encoder)`, N / 10, () => {
    w.reset();
    new HpackEncoder().encode(w, list);
  });
  time(`decode ${name} (fresh decoder)`, N / 10, () => {
    out.length = 0;
    new HpackDecoder().decode(firstBlock, out);
  });
}
