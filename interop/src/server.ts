/**
 * The interop server: `npm run interop:server -- --port=N [--use_tls=true] [--host=H] [--certs_dir=D]`.
 * Serves grpc.testing.TestService until SIGINT/SIGTERM. With --use_tls it uses `server1.pem` /
 * `server1.key` from --certs_dir (default interop/.certs, generated there with a test CA on first
 * use). `--port=0` picks a free port. Prints `LISTENING <port>` once it accepts connections.
 */
import { createServer } from "@grpc-ts/node";
import { TestService } from "../gen/grpc/testing/test_pb.js";
import { Flags } from "./args.js";
import { defaultCertsDir, ensureCerts } from "./certs.js";
import { testServiceImpl } from "./test-service.js";

async function main(): Promise<void> {
  const flags = new Flags(process.argv.slice(2), ["port", "use_tls", "host", "certs_dir"]);
  const port = flags.port("port");
  const host = flags.string("host", "127.0.0.1");
  const useTls = flags.bool("use_tls", false);
  const server = createServer().add(TestService, testServiceImpl);
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = useTls
    ? await (async () => {
        const creds = await ensureCerts(flags.string("certs_dir", defaultCertsDir));
        return server.listen(address, { tls: { key: creds.key, cert: creds.cert } });
      })()
    : await server.listen(address);
  console.log(`LISTENING ${bound}`);
  console.error(`interop server: grpc.testing.TestService on ${host}:${bound}${useTls ? " (TLS)" : ""}`);
  const stop = () => {
    void server.shutdown(1000).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(`interop server: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});
