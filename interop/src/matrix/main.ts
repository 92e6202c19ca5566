/**
 * `npm run interop:matrix`: runs the whole interop matrix and prints its summary; exits 1 when a
 * case failed (2 when the matrix could not run). `--pairs=ours:grpc-js,c-core:ours` and
 * `--variants=plaintext` narrow it.
 */
import { Flags } from "../args.js";
import {
  pairs as allPairs,
  variants as allVariants,
  type Impl,
  type Pair,
  type Variant,
} from "./participants.js";
import { formatReport } from "./report.js";
import { runMatrix } from "./run-matrix.js";

function parsePairs(spec: string | undefined): readonly Pair[] {
  if (spec === undefined) return allPairs;
  return spec.split(",").map((s) => {
    const [client, server] = s.split(":");
    const found = allPairs.find((p) => p.client === (client as Impl) && p.server === (server as Impl));
    if (found === undefined)
      throw new Error(
        `unknown pair "${s}" (known: ${allPairs.map((p) => `${p.client}:${p.server}`).join(", ")})`,
      );
    return found;
  });
}

function parseVariants(spec: string | undefined): readonly Variant[] {
  if (spec === undefined) return allVariants;
  return spec.split(",").map((v) => {
    if (!(allVariants as readonly string[]).includes(v))
      throw new Error(`unknown variant "${v}" (plaintext, tls)`);
    return v as Variant;
  });
}

async function main(): Promise<number> {
  const flags = new Flags(process.argv.slice(2), ["pairs", "variants"]);
  const pairs = parsePairs(flags.string("pairs"));
  const result = await runMatrix({
    pairs,
    variants: parseVariants(flags.string("variants")),
    log: (line) => console.log(line),
  });
  for (const line of formatReport(result, pairs)) console.log(line);
  return result.failed === 0 && result.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`interop matrix: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
