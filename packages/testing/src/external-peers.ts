// Some suites drive programs from Debian's packages (Python grpcio, the standard .proto files,
// Chromium, curl). CI installs them (.ci/run) and must run those suites: there a missing program
// fails the suite with the install command. On another machine a suite whose programs are missing
// is skipped, and the skip says exactly what to install, so `npm ci && npm test` works anywhere.
import { existsSync } from "node:fs";

export interface ExternalProgram {
  /** A file that exists when the program is installed. */
  readonly path: string;
  /** The command that installs it. */
  readonly install: string;
}

export const PYTHON_GRPCIO: ExternalProgram = {
  path: "/usr/lib/python3/dist-packages/grpc_tools",
  install: "apt-get install -y python3-grpcio python3-grpc-tools grpc-proto",
};
export const GRPC_PROTO: ExternalProgram = {
  path: "/usr/share/grpc-proto/grpc/testing/test.proto",
  install: "apt-get install -y grpc-proto",
};
export const CHROMIUM: ExternalProgram = {
  path: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  install: "apt-get install -y chromium",
};
/** Debian's dnsmasq (dnsmasq-base: the program without the system service), a real DNS server. */
export const DNSMASQ: ExternalProgram = {
  path: "/usr/sbin/dnsmasq",
  install: "apt-get install -y dnsmasq-base",
};
/** Debian's HAProxy (2.6 on bookworm), an HTTP/2 proxy that holds streams and windows back. */
export const HAPROXY: ExternalProgram = {
  path: "/usr/sbin/haproxy",
  install: "apt-get install -y haproxy",
};
export const CURL: ExternalProgram = { path: "/usr/bin/curl", install: "apt-get install -y curl" };
const PYTHON_H2_INSTALL = "apt-get install -y python3-h2 python3-hyperframe python3-hpack";
/** Python's h2, hyperframe and hpack: an HTTP/2 stack independent of ours (conformance probe). */
export const PYTHON_H2: readonly ExternalProgram[] = [
  { path: "/usr/lib/python3/dist-packages/h2", install: PYTHON_H2_INSTALL },
  { path: "/usr/lib/python3/dist-packages/hyperframe", install: PYTHON_H2_INSTALL },
  { path: "/usr/lib/python3/dist-packages/hpack", install: PYTHON_H2_INSTALL },
];
export const NGHTTP: ExternalProgram = {
  path: "/usr/bin/nghttp",
  install: "apt-get install -y nghttp2-client",
};
export const H2LOAD: ExternalProgram = {
  path: "/usr/bin/h2load",
  install: "apt-get install -y nghttp2-client",
};

/**
 * The `skip` option for a suite that needs these programs: false when they are all present or in CI
 * (where the suite then fails naming what is missing), otherwise the reason, with the install command.
 */
export function skipWithout(...programs: readonly ExternalProgram[]): string | false {
  if (process.env.CI) return false;
  const missing = programs.filter((p) => !existsSync(p.path));
  if (missing.length === 0) return false;
  return `not installed: ${missing.map((p) => p.path).join(", ")} (${[...new Set(missing.map((p) => p.install))].join("; ")}; .ci/run installs them)`;
}
