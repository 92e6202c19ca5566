/**
 * Test TLS material for the interop programs, made with the `openssl` command: a throw-away CA
 * (`ca.pem`) and a server certificate (`server1.pem`, key `server1.key`, the names grpc's own test
 * credentials use) valid for `*.test.google.fr` (so `--server_host_override=foo.test.google.fr`
 * works as with grpc's test CA), `localhost`, 127.0.0.1 and ::1. Valid for two days.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const CA_FILE = "ca.pem";
export const CERT_FILE = "server1.pem";
export const KEY_FILE = "server1.key";

/** interop/.certs: where the command-line programs keep their certificates unless --certs_dir says otherwise. */
export const defaultCertsDir = new URL("../.certs", import.meta.url).pathname;

export interface ServerCreds {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

const serverExt = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=DNS:*.test.google.fr,DNS:localhost,IP:127.0.0.1,IP:::1",
  "",
].join("\n");

async function openssl(cwd: string, args: readonly string[]): Promise<void> {
  try {
    await run("openssl", args, { cwd, timeout: 30_000 });
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    throw new Error(`openssl ${args[0]} failed: ${typeof stderr === "string" ? stderr.trim() : String(e)}`, {
      cause: e,
    });
  }
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Writes a fresh CA and server certificate into `dir` (which must exist). */
export async function generateCerts(dir: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    CA_FILE,
    "-days",
    "2",
    "-subj",
    "/CN=grpc-ts interop test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await writeFile(join(dir, "server1.ext"), serverExt);
  await openssl(dir, [
    "req",
    "-new",
    ...ecKey,
    "-keyout",
    KEY_FILE,
    "-out",
    "server1.csr",
    "-subj",
    "/CN=*.test.google.fr",
  ]);
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server1.csr",
    "-CA",
    CA_FILE,
    "-CAkey",
    "ca.key",
    "-set_serial",
    serial,
    "-days",
    "2",
    "-sha256",
    "-extfile",
    "server1.ext",
    "-out",
    CERT_FILE,
  ]);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/**
 * The certificates in `dir`, generated first when `dir` has none. A new set is made in a sibling
 * scratch folder and renamed into place, so a server and a client starting together agree on one CA.
 */
export async function ensureCerts(dir: string): Promise<ServerCreds> {
  if (!(await exists(join(dir, CERT_FILE)))) {
    await mkdir(dirname(dir), { recursive: true });
    const scratch = await mkdtemp(`${dir}.tmp-`);
    try {
      await generateCerts(scratch);
      await rename(scratch, dir).catch(async (e: unknown) => {
        if (!(await exists(join(dir, CERT_FILE)))) throw e;
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return readCerts(dir);
}

export async function readCerts(dir: string): Promise<ServerCreds> {
  const read = (name: string) =>
    readFile(join(dir, name), "utf8").catch((e: unknown) => {
      throw new Error(`cannot read ${join(dir, name)}: ${(e as Error).message}`, { cause: e });
    });
  return { ca: await read(CA_FILE), cert: await read(CERT_FILE), key: await read(KEY_FILE) };
}
