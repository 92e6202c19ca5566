import { fromBinary, type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { base64Encode } from "@grpc-ts/core/protocol";
import { codeName, type ErrorDetail, type Metadata, type RpcError } from "@grpc-ts/node";
import type { CliIo } from "../run-cli.js";
import { formatJson } from "./json-text.js";
import { colourEnabled, createStyle, type Style } from "./style.js";

/** How a command prints: to a person (indentation and colour on a terminal) or, with --json, to a script. */
export interface Output {
  readonly json: boolean;
  /** Styles for stdout and stderr (no colour when not a terminal, with NO_COLOR or --json). */
  readonly out: Style;
  readonly err: Style;
  /** Indent JSON on stdout (a person at a terminal, without --json). */
  readonly indent: boolean;
  line(text: string): void;
  errorLine(text: string): void;
  /** Prints a JSON value on stdout: indented on a terminal, else one line. */
  value(value: JsonValue): void;
}

export function createOutput(io: CliIo, json: boolean): Output {
  const env = io.env ?? {};
  const terminal = io.stdoutIsTTY === true && !json;
  const out = createStyle(!json && colourEnabled(io.stdoutIsTTY === true, env));
  const err = createStyle(!json && colourEnabled(io.stderrIsTTY === true, env));
  return {
    json,
    out,
    err,
    indent: terminal,
    line: (text) => io.stdout(`${text}\n`),
    errorLine: (text) => io.stderr(`${text}\n`),
    value: (value) => io.stdout(`${formatJson(value, terminal, out)}\n`),
  };
}

/**
 * Prints a failed call's status on stderr: its code name (and number), message and details, as
 * lines for a person or as one JSON object with --json. Details whose type the registry knows are
 * shown decoded (in the JSON form of `google.protobuf.Any`), others as base64.
 */
export function printStatus(output: Output, error: RpcError, registry: Registry | undefined): void {
  const details = error.details.map((d) => detailJson(d, registry));
  if (output.json) {
    output.errorLine(
      JSON.stringify({
        code: codeName(error.code),
        codeNumber: error.code,
        message: error.rawMessage,
        details,
      }),
    );
    return;
  }
  const s = output.err;
  output.errorLine(s.red(s.bold("ERROR:")));
  output.errorLine(`  Code: ${s.red(codeName(error.code))} (${error.code})`);
  output.errorLine(`  Message: ${error.rawMessage}`);
  if (details.length > 0) {
    output.errorLine("  Details:");
    details.forEach((d, i) => {
      output.errorLine(`    ${i + 1}) ${formatJson(d, false, s)}`);
    });
  }
}

/** Prints metadata (response headers or trailers) on stderr, under a title. */
export function printMetadata(output: Output, title: string, metadata: Metadata): void {
  const s = output.err;
  output.errorLine(s.dim(`${title}:`));
  for (const [key, value] of metadata) {
    const text = typeof value === "string" ? value : base64Encode(value);
    output.errorLine(`  ${s.cyan(key)}: ${text}`);
  }
}

function detailJson(detail: ErrorDetail, registry: Registry | undefined): JsonValue {
  const typeName = detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
  const desc = registry?.getMessage(typeName);
  if (desc !== undefined) {
    try {
      const json = toJson(desc, fromBinary(desc, detail.value), { registry });
      if (json !== null && typeof json === "object" && !Array.isArray(json))
        return { "@type": detail.typeUrl, ...json };
      return { "@type": detail.typeUrl, value: json };
    } catch {
      // Shown as bytes below.
    }
  }
  return { "@type": detail.typeUrl, value: base64Encode(detail.value) };
}
