export type { Command, HelpTopic, ParseResult } from "./args.js";
export { defaultOutDir, defaultProtoDir, parseArgs } from "./args.js";
export type { GenerateOptions, GenerateResult, ImportExtension, Target } from "./generate.js";
export { generate } from "./generate.js";
export type { GenerateErrorReason } from "./generate-error.js";
export { GenerateError } from "./generate-error.js";
export type { CliIo } from "./run-cli.js";
export { runCli } from "./run-cli.js";
