// Renders descriptors in .proto syntax, for `grpc-ts describe`.
import {
  type DescEnum,
  type DescEnumValue,
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";
import { Edition, FieldDescriptorProto_Label } from "@bufbuild/protobuf/wkt";
import type { Style } from "./style.js";

export function renderService(service: DescService, style: Style): string {
  const lines = [`${style.blue("service")} ${style.bold(service.name)} {`];
  for (const m of service.methods) lines.push(`  ${renderMethod(m, style)}`);
  lines.push("}");
  return lines.join("\n");
}

/** `rpc Name(pkg.In) returns (stream pkg.Out);` */
export function renderMethod(method: DescMethod, style: Style): string {
  const stream = style.blue("stream ");
  const inStream = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const outStream = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
  return (
    `${style.blue("rpc")} ${style.bold(method.name)}(${inStream ? stream : ""}${style.cyan(method.input.typeName)}) ` +
    `${style.blue("returns")} (${outStream ? stream : ""}${style.cyan(method.output.typeName)});`
  );
}

export function renderMessage(message: DescMessage, style: Style, pad = ""): string {
  const inner = `${pad}  `;
  const lines = [`${pad}${style.blue("message")} ${style.bold(message.name)} {`];
  const done = new Set<unknown>();
  for (const field of message.fields) {
    const oneof = field.oneof;
    if (oneof === undefined) {
      lines.push(`${inner}${renderField(field, style)}`);
      continue;
    }
    if (done.has(oneof)) continue;
    done.add(oneof);
    lines.push(`${inner}${style.blue("oneof")} ${oneof.name} {`);
    for (const f of oneof.fields) lines.push(`${inner}  ${renderField(f, style)}`);
    lines.push(`${inner}}`);
  }
  for (const r of message.proto.extensionRange) {
    const last = r.end - 1;
    lines.push(
      `${inner}${style.blue("extensions")} ${r.start}${last === r.start ? "" : ` to ${last >= 536_870_911 ? "max" : last}`};`,
    );
  }
  for (const e of message.nestedEnums) lines.push(renderEnum(e, style, inner));
  for (const m of message.nestedMessages) lines.push(renderMessage(m, style, inner));
  for (const x of message.nestedExtensions) lines.push(`${inner}${renderExtension(x, style)}`);
  lines.push(`${pad}}`);
  return lines.join("\n");
}

export function renderEnum(e: DescEnum, style: Style, pad = ""): string {
  const lines = [`${pad}${style.blue("enum")} ${style.bold(e.name)} {`];
  for (const v of e.values) lines.push(`${pad}  ${renderEnumValue(v, style)}`);
  lines.push(`${pad}}`);
  return lines.join("\n");
}

export function renderEnumValue(v: DescEnumValue, style: Style): string {
  return `${v.name} = ${style.yellow(String(v.number))};`;
}

/** `extend pkg.Msg { optional string name = 100; }` */
export function renderExtension(x: DescExtension, style: Style): string {
  return `${style.blue("extend")} ${style.cyan(x.extendee.typeName)} { ${renderField(x, style)} }`;
}

/** `repeated pkg.Type name = 3;` (with the label the file's syntax uses). */
export function renderField(field: DescField | DescExtension, style: Style): string {
  let type: string;
  switch (field.fieldKind) {
    case "list":
      type = `${style.blue("repeated")} ${valueType(field, style)}`;
      break;
    case "map":
      type = `${style.blue("map")}<${style.cyan(scalarName(field.mapKey))}, ${valueType(field, style)}>`;
      break;
    default:
      type = `${label(field, style)}${valueType(field, style)}`;
  }
  return `${type} ${field.name} = ${style.yellow(String(field.number))};`;
}

function valueType(field: DescField | DescExtension, style: Style): string {
  if (field.scalar !== undefined) return style.cyan(scalarName(field.scalar));
  return style.cyan((field.message ?? field.enum)?.typeName ?? "?");
}

function label(field: DescField | DescExtension, style: Style): string {
  const file = field.kind === "extension" ? field.file : field.parent.file;
  if (file.edition === Edition.EDITION_PROTO2) {
    return style.blue(field.proto.label === FieldDescriptorProto_Label.REQUIRED ? "required " : "optional ");
  }
  if (file.edition === Edition.EDITION_PROTO3 && field.proto.proto3Optional) return style.blue("optional ");
  return "";
}

function scalarName(scalar: ScalarType): string {
  return ScalarType[scalar].toLowerCase();
}
