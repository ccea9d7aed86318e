/**
 * @module Running the network tools (ip, nft, dnsmasq): a missing binary becomes MissingDependencyError naming
 * its Debian package, a failure a SkiffError carrying what was being done and the tool's stderr.
 */
import { execFile } from 'node:child_process';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';

/** The Debian package of each tool skiff's network runs. */
export const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  nft: 'nftables',
  dnsmasq: 'dnsmasq-base',
};

/** The error for a tool that is not installed. */
export function missingTool(program: string, cause?: unknown): MissingDependencyError {
  const pkg = PACKAGE_OF[program] ?? program;
  return new MissingDependencyError(`${program} not found on PATH: install the ${pkg} package`, {
    program,
    package: pkg,
    cause,
  });
}

/** A failed run: the exit code, and stderr (trimmed) for callers that accept some failures. */
export class ToolError extends SkiffError {
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(message: string, options: { exitCode: number | null; stderr: string; cause?: unknown }) {
    super('internal', message, { cause: options.cause, details: { exitCode: options.exitCode } });
    this.name = 'ToolError';
    this.exitCode = options.exitCode;
    this.stderr = options.stderr;
  }
}

/**
 * Runs `program args` to completion (bounded by `timeoutMs`, default 10 s), with `input` on stdin.
 * @returns stdout. @throws MissingDependencyError; ToolError on a non-zero exit, naming `doing`
 */
export function runTool(
  program: string,
  args: readonly string[],
  options: { doing: string; input?: string; timeoutMs?: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      args,
      { timeout: options.timeoutMs ?? 10_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(missingTool(program, error));
        const text = stderr.trim() || error.message;
        const exitCode = typeof error.code === 'number' ? error.code : null;
        reject(new ToolError(`${options.doing}: ${text}`, { exitCode, stderr: stderr.trim(), cause: error }));
      },
    );
    // A tool that exits without reading its input must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}
