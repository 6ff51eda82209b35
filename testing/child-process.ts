import { ChildProcess } from "node:child_process";

// The loopback harness's child processes (emulators, bundles, Python workers): none may outlive
// the test process, whichever way it ends.
const running = new Set<ChildProcess>();
process.once("exit", () => running.forEach((child) => child.kill("SIGKILL")));

/** Registers `child` to be killed (SIGKILL) if this process exits while it still runs. */
export function trackChild<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Stops `child` and resolves with its exit code (null when a signal ended it): closes its stdin,
 * sends `signal` (SIGTERM; nginx stops gracefully on SIGQUIT) after `graceMs` (a child that exits
 * by itself once its stdin closes is left to do so), and SIGKILL `killAfterMs` after that.
 */
export async function stopChild(
  child: ChildProcess,
  options: { readonly signal?: NodeJS.Signals; readonly graceMs?: number; readonly killAfterMs?: number } = {},
): Promise<number | null> {
  if (!hasExited(child)) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const graceMs = options.graceMs ?? 0;
    child.stdin?.end();
    const term = setTimeout(() => child.kill(options.signal ?? "SIGTERM"), graceMs);
    const kill = setTimeout(() => child.kill("SIGKILL"), graceMs + (options.killAfterMs ?? 3_000));
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }
  return child.exitCode;
}

/** Calls `onLine` with each complete line `stream` writes (without its newline). */
export function onLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let partial = "";
  stream?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    lines.forEach(onLine);
  });
}
