/**
 * The interop client: `npm run interop:client -- --server_host=H --server_port=N --test_case=NAME|all
 * [--use_tls=true] [--server_host_override=NAME] [--use_test_ca=true|false] [--certs_dir=D]`.
 * Prints `PASS <case>` or `FAIL <case>: <reason>` per case, one channel per case, and exits 1 when
 * any case failed (2 on a usage error). `--test_case` also takes a comma-separated list.
 * With TLS the test CA (`ca.pem` in --certs_dir, default interop/.certs, as the interop server
 * writes it) is trusted unless --use_test_ca=false asks for the system's CAs.
 */
import { type Channel, createChannel, createClient } from "@grpc-ts/node";
import { TestService, UnimplementedService } from "../gen/grpc/testing/test_pb.js";
import { Flags } from "./args.js";
import { type CaseName, parseCaseList } from "./cases.js";
import { defaultCertsDir, readCerts } from "./certs.js";
import { clientCases, describeError } from "./client-cases.js";

/** No case takes longer on loopback; past this it counts as failed (and the process moves on). */
const CASE_TIMEOUT_MS = 90_000;

const flagNames = [
  "server_host",
  "server_host_override",
  "server_port",
  "test_case",
  "use_tls",
  "use_test_ca",
  "certs_dir",
  // Accepted for command-line compatibility with other interop clients; the cloud cases are not run.
  "default_service_account",
  "oauth_scope",
  "service_account_key_file",
];

async function runCase(name: CaseName, makeChannel: () => Channel): Promise<string | undefined> {
  const channel = makeChannel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const ctx = {
      test: createClient(TestService, channel),
      unimplemented: createClient(UnimplementedService, channel),
    };
    await Promise.race([
      clientCases[name](ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CASE_TIMEOUT_MS / 1000} s`)),
          CASE_TIMEOUT_MS,
        );
      }),
    ]);
    return undefined;
  } catch (e) {
    return describeError(e);
  } finally {
    clearTimeout(timer);
    channel.close();
  }
}

async function main(): Promise<number> {
  let flags: Flags;
  let cases: CaseName[];
  try {
    flags = new Flags(process.argv.slice(2), flagNames);
    cases = parseCaseList(flags.string("test_case", "all"));
  } catch (e) {
    console.error(`interop client: ${(e as Error).message}`);
    return 2;
  }
  const host = flags.string("server_host", "127.0.0.1");
  const port = flags.port("server_port");
  const useTls = flags.bool("use_tls", false);
  const override = flags.string("server_host_override");
  const target = host.includes(":") ? `ipv6:[${host}]:${port}` : `${host}:${port}`;
  let tls: { ca?: string; serverName?: string } | undefined;
  if (useTls) {
    tls = {
      ...(flags.bool("use_test_ca", true)
        ? { ca: (await readCerts(flags.string("certs_dir", defaultCertsDir))).ca }
        : {}),
      ...(override === undefined ? {} : { serverName: override }),
    };
  }
  const makeChannel = () => createChannel(target, tls === undefined ? {} : { tls });
  let failed = 0;
  for (const name of cases) {
    const reason = await runCase(name, makeChannel);
    if (reason === undefined) console.log(`PASS ${name}`);
    else {
      failed++;
      console.log(`FAIL ${name}: ${reason.replace(/\r?\n/g, "\\n")}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`interop client: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  },
);
