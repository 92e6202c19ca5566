// Certificates for the CLI's TLS tests: the shared test set (@grpc-ts/testing: a CA, a
// server certificate for localhost and 127.0.0.1, a client certificate), seen as the PEM files the
// CLI's --cacert/--cert/--key options take, and as PEM text for the server.
import { join } from "node:path";
import { generateTestCerts } from "@grpc-ts/testing";

export interface TestCerts {
  readonly dir: string;
  /** Paths of the PEM files. */
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** PEM contents for the server. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  remove(): Promise<void>;
}

export async function makeCerts(): Promise<TestCerts> {
  const certs = await generateTestCerts();
  return {
    dir: certs.dir,
    caFile: join(certs.dir, "ca.crt"),
    clientCertFile: join(certs.dir, "client.crt"),
    clientKeyFile: join(certs.dir, "client.key"),
    ca: certs.ca,
    serverCert: certs.server.cert,
    serverKey: certs.server.key,
    remove: certs.remove,
  };
}
