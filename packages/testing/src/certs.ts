/**
 * Test certificates made at test time with the `openssl` CLI: a CA, a server certificate for
 * localhost / 127.0.0.1 / ::1 / `test.grpc-ts.local`, a client certificate signed by the same CA,
 * and a second, unrelated CA with its own server and client certificates (for "wrong CA" cases).
 * Everything lives in a temporary folder that `remove()` deletes.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The extra DNS name in the server certificate, for server-name-override tests. */
export const TEST_SERVER_NAME = "test.grpc-ts.local";
/** The common name of the client certificate signed by the main CA. */
export const TEST_CLIENT_CN = "grpc-ts test client";

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

export interface TestCerts {
  readonly dir: string;
  /** The CA that signed `server` and `client`. */
  readonly ca: string;
  readonly server: KeyPair;
  /** CN = TEST_CLIENT_CN. */
  readonly client: KeyPair;
  /** An unrelated CA, and a server and client certificate it signed (same names as above). */
  readonly otherCa: string;
  readonly otherServer: KeyPair;
  readonly otherClient: KeyPair;
  /** Deletes the folder. */
  remove(): Promise<void>;
}

const serverExt = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  `subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:${TEST_SERVER_NAME}`,
  "",
].join("\n");

const clientExt = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=clientAuth",
  "",
].join("\n");

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run("openssl", args, { cwd: dir, timeout: 30_000 });
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    throw new Error(`openssl ${args[0]} failed: ${typeof stderr === "string" ? stderr : String(e)}`, {
      cause: e,
    });
  }
}

/** A self-signed CA: writes `<name>.key` and `<name>.crt`. */
async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

/** A leaf certificate signed by CA `ca`: writes `<name>.key` and `<name>.crt`. */
async function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-set_serial",
    `0x${Math.floor(Math.random() * 0xffffffff)
      .toString(16)
      .padStart(8, "0")}`,
    "-days",
    "2",
    "-sha256",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
}

/** Generates the whole set in a fresh temporary folder (about a second of openssl work). */
export async function generateTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), "grpc-ts-certs-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await Promise.all([makeCa(dir, "ca", "grpc-ts test CA"), makeCa(dir, "other-ca", "grpc-ts other CA")]);
    await Promise.all([
      makeLeaf(dir, "ca", "server", "localhost", serverExt),
      makeLeaf(dir, "ca", "client", TEST_CLIENT_CN, clientExt),
      makeLeaf(dir, "other-ca", "other-server", "localhost", serverExt),
      makeLeaf(dir, "other-ca", "other-client", "grpc-ts other client", clientExt),
    ]);
    const read = (name: string) => readFile(join(dir, name), "utf8");
    const pair = async (name: string): Promise<KeyPair> => ({
      key: await read(`${name}.key`),
      cert: await read(`${name}.crt`),
    });
    return {
      dir,
      ca: await read("ca.crt"),
      server: await pair("server"),
      client: await pair("client"),
      otherCa: await read("other-ca.crt"),
      otherServer: await pair("other-server"),
      otherClient: await pair("other-client"),
      remove,
    };
  } catch (e) {
    await remove();
    throw e;
  }
}
