import type { RemoteCommand } from "../remote-args.js";
import type { DescriptorSource } from "./descriptors.js";
import { CliFailure, EXIT_FAILURE, EXIT_OK } from "./failure.js";
import type { Output } from "./output.js";

type ListCommand = Extract<RemoteCommand, { kind: "list" }>;

/**
 * `grpc-ts list <target>`: the service names, one per line (`{"services": [...]}` with --json).
 * `grpc-ts list <target> <service>`: its methods as `Service/Method` paths, one per line
 * (with --json, an object with each method's name, path, kind and message types).
 */
export async function list(command: ListCommand, source: DescriptorSource, output: Output): Promise<number> {
  if (command.service === undefined) {
    const services = await source.listServices();
    if (output.json) output.line(JSON.stringify({ services }));
    else for (const name of services) output.line(output.out.bold(name));
    return EXIT_OK;
  }
  const name = command.service.startsWith(".") ? command.service.slice(1) : command.service;
  const registry = await source.registryFor([name]);
  const service = registry.getService(name);
  if (service === undefined) throw new CliFailure(EXIT_FAILURE, `${name} is not a service`);
  if (output.json) {
    const methods = service.methods.map((m) => ({
      name: m.name,
      path: `${service.typeName}/${m.name}`,
      kind: m.methodKind,
      input: m.input.typeName,
      output: m.output.typeName,
    }));
    output.line(JSON.stringify({ service: service.typeName, methods }));
  } else {
    for (const m of service.methods) output.line(`${service.typeName}/${output.out.bold(m.name)}`);
  }
  return EXIT_OK;
}
