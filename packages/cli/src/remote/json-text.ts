import type { JsonValue } from "@bufbuild/protobuf";
import type { Style } from "./style.js";

/**
 * JSON text of `value`: compact on one line, or indented by two spaces, with keys, strings,
 * numbers and literals coloured when `style` is enabled. Without colour and indentation it is
 * exactly `JSON.stringify(value)`.
 */
export function formatJson(value: JsonValue, indent: boolean, style: Style): string {
  return format(value, indent, style, "");
}

function format(value: JsonValue, indent: boolean, style: Style, pad: string): string {
  if (value === null) return style.magenta("null");
  switch (typeof value) {
    case "string":
      return style.green(JSON.stringify(value));
    case "number":
      return style.yellow(JSON.stringify(value));
    case "boolean":
      return style.magenta(String(value));
  }
  const inner = `${pad}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => format(v, indent, style, inner));
    return indent ? `[\n${inner}${items.join(`,\n${inner}`)}\n${pad}]` : `[${items.join(",")}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const items = entries.map(
    ([k, v]) => `${style.blue(JSON.stringify(k))}:${indent ? " " : ""}${format(v, indent, style, inner)}`,
  );
  return indent ? `{\n${inner}${items.join(`,\n${inner}`)}\n${pad}}` : `{${items.join(",")}}`;
}
