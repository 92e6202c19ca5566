import { type DescFile, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema,
  EnumDescriptorProtoSchema,
  EnumValueDescriptorProtoSchema,
  FieldDescriptorProtoSchema,
  MethodDescriptorProtoSchema,
  ServiceDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import type { RemoteCommand } from "../remote-args.js";
import {
  renderEnum,
  renderEnumValue,
  renderExtension,
  renderField,
  renderMessage,
  renderMethod,
  renderService,
} from "./describe-text.js";
import { type DescriptorSource, type FoundSymbol, findSymbol } from "./descriptors.js";
import { CliFailure, EXIT_FAILURE, EXIT_OK } from "./failure.js";
import type { Output } from "./output.js";
import type { Style } from "./style.js";

type DescribeCommand = Extract<RemoteCommand, { kind: "describe" }>;

/**
 * `grpc-ts describe <target> [symbol]`: the definition of a symbol in .proto syntax (a method with
 * its request and response messages), or of every service. With --json, one line per symbol:
 * `{"name", "kind", "file", "descriptor"}` where `descriptor` is the JSON of its descriptor proto.
 */
export async function describe(
  command: DescribeCommand,
  source: DescriptorSource,
  output: Output,
): Promise<number> {
  const symbols =
    command.symbol === undefined
      ? await source.listServices()
      : [(command.symbol.startsWith(".") ? command.symbol.slice(1) : command.symbol).replace("/", ".")];
  const registry = await source.registryFor(symbols);
  const found: [string, FoundSymbol][] = symbols.map((name) => {
    const f = findSymbol(registry, name);
    if (f === undefined)
      throw new CliFailure(EXIT_FAILURE, `${name} is not a service, method, type or field`);
    return [name, f];
  });
  found.forEach(([name, symbol], i) => {
    if (output.json) {
      output.line(
        JSON.stringify({
          name,
          kind: symbol.kind,
          file: fileOf(symbol).proto.name,
          descriptor: descriptorJson(symbol),
        }),
      );
      return;
    }
    if (i > 0) output.line("");
    const s = output.out;
    const article = /^[aeiou]/.test(symbol.kind) ? "an" : "a";
    output.line(`${s.bold(name)} is ${article} ${symbol.kind} ${s.dim(`(${fileOf(symbol).proto.name})`)}:`);
    output.line(render(symbol, s));
  });
  return EXIT_OK;
}

function render(symbol: FoundSymbol, style: Style): string {
  switch (symbol.kind) {
    case "service":
      return renderService(symbol.desc, style);
    case "method": {
      const { input, output } = symbol.desc;
      const parts = [renderMethod(symbol.desc, style), "", renderMessage(input, style)];
      if (output !== input) parts.push("", renderMessage(output, style));
      return parts.join("\n");
    }
    case "message":
      return renderMessage(symbol.desc, style);
    case "enum":
      return renderEnum(symbol.desc, style);
    case "extension":
      return renderExtension(symbol.desc, style);
    case "field":
      return renderField(symbol.desc, style);
    case "enum value":
      return renderEnumValue(symbol.desc, style);
  }
}

function fileOf(symbol: FoundSymbol): DescFile {
  switch (symbol.kind) {
    case "method":
      return symbol.desc.parent.file;
    case "field":
      return symbol.desc.parent.file;
    case "enum value":
      return symbol.desc.parent.file;
    default:
      return symbol.desc.file;
  }
}

function descriptorJson(symbol: FoundSymbol): JsonValue {
  switch (symbol.kind) {
    case "service":
      return toJson(ServiceDescriptorProtoSchema, symbol.desc.proto);
    case "method":
      return toJson(MethodDescriptorProtoSchema, symbol.desc.proto);
    case "message":
      return toJson(DescriptorProtoSchema, symbol.desc.proto);
    case "enum":
      return toJson(EnumDescriptorProtoSchema, symbol.desc.proto);
    case "extension":
    case "field":
      return toJson(FieldDescriptorProtoSchema, symbol.desc.proto);
    case "enum value":
      return toJson(EnumValueDescriptorProtoSchema, symbol.desc.proto);
  }
}
