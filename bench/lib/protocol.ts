// The line protocol between the runner and its child processes: the child prints one JSON object
// per line on stdout (first `ready`, then one reply per command); the runner writes one command
// per line on stdin. Closing stdin ends a child.

/** A server child's first line; `port` is the bound loopback port. */
export interface ReadyLine {
  readonly type: "ready";
  readonly port: number;
}

/** Memory of the child process (bytes), after a full GC when the child was started with --expose-gc. */
export interface MemoryStats {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly gc: boolean;
}

/** A closed loop of unary calls: `concurrency` callers, each starting a call when its last one ends. */
export interface UnaryLoopCommand {
  readonly cmd: "unary";
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** Repeated calls of one streaming kind, each moving `count` messages of `size` bytes. */
export interface StreamCommand {
  readonly cmd: "server-stream" | "client-stream";
  readonly count: number;
  readonly size: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** One bidi call in which the client sends a message only after the previous answer came back. */
export interface PingPongCommand {
  readonly cmd: "bidi";
  readonly size: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/**
 * Asks a client child whether it really runs as it was asked to (one call, then a look at what it
 * used): ours on our engine answers `unavailable` while the built package ignores `engine`.
 */
export interface ProbeCommand {
  readonly cmd: "probe";
}

export type Command =
  | { readonly cmd: "memory" }
  | { readonly cmd: "exit" }
  | ProbeCommand
  | UnaryLoopCommand
  | StreamCommand
  | PingPongCommand;

export interface UnaryLoopResult {
  readonly calls: number;
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPU time of the client process per call, user + system. */
  readonly cpuUsPerCall: number;
  readonly errors: number;
  readonly firstError?: string;
}

export interface StreamResult {
  /** Messages (server/client streaming) or round trips (bidi) in the measured window. */
  readonly messages: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly calls: number;
  readonly cpuUsPerMessage: number;
}

export interface ProbeResult {
  /** Why this client cannot be measured as asked; absent when it can. */
  readonly unavailable?: string;
}

export type CommandResult = MemoryStats | UnaryLoopResult | StreamResult | ProbeResult | null;

export interface ReplyLine {
  readonly id: number;
  readonly result?: CommandResult;
  readonly error?: string;
}

export interface CommandLine {
  readonly id: number;
  readonly command: Command;
}
