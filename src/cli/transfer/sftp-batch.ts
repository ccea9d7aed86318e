/**
 * @module Pure: the batch script `sftp -b` runs for a transfer, with each path quoted for sftp's own command
 * language (OpenSSH `sftp.c`, `makeargv`): inside double quotes only `"` and `\` need a backslash, and glob
 * characters (`*?[`) are taken literally, so a path arrives as written whatever it holds, except a newline
 * (one command a line), which is refused.
 */
import { SkiffError } from '../../core/errors.js';

/** sftp keeps each command's arguments in a 1,024-byte buffer (`makeargv`); stay clear of it. */
export const MAX_SFTP_LINE_BYTES = 1000;

/** One step of a transfer. `mkdir` lines never fail the batch (the directory may already exist). */
export type SftpCommand =
  | { op: 'put'; local: string; remote: string; recursive: boolean }
  | { op: 'get'; remote: string; local: string; recursive: boolean }
  | { op: 'mkdir'; remote: string };

/**
 * Quotes one path for an sftp batch line. A leading `-` would read as a flag, so callers pass absolute
 * local paths and guest paths from normaliseGuestPath. @throws SkiffError `invalid-argument` on a newline.
 */
export function sftpQuote(path: string): string {
  if (/[\n\r]/.test(path))
    throw new SkiffError('invalid-argument', `transfer: the path ${JSON.stringify(path)} holds a newline`);
  if (path.startsWith('-')) throw new Error(`sftpQuote: ${path} would read as an option`);
  return `"${path.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** One batch line; @throws SkiffError `invalid-argument` when it is too long for sftp. */
export function sftpLine(command: SftpCommand): string {
  let line: string;
  switch (command.op) {
    case 'put':
      line = `put ${command.recursive ? '-r ' : ''}${sftpQuote(command.local)} ${sftpQuote(command.remote)}`;
      break;
    case 'get':
      line = `get ${command.recursive ? '-r ' : ''}${sftpQuote(command.remote)} ${sftpQuote(command.local)}`;
      break;
    case 'mkdir':
      // `-` first: a failure (it exists) does not stop the batch; a real failure shows in the next command.
      line = `-mkdir ${sftpQuote(command.remote)}`;
      break;
    default: {
      const never: never = command;
      return never;
    }
  }
  if (Buffer.byteLength(line) > MAX_SFTP_LINE_BYTES)
    throw new SkiffError(
      'invalid-argument',
      `transfer: paths too long for sftp (${Buffer.byteLength(line)} bytes in one command, at most ${MAX_SFTP_LINE_BYTES})`,
    );
  return line;
}

/** The whole batch file text. */
export function sftpBatch(commands: readonly SftpCommand[]): string {
  return commands.map((c) => `${sftpLine(c)}\n`).join('');
}

/**
 * `mkdir` commands for each ancestor of `dir` and `dir` itself, outermost first (`a`, `a/b`, `a/b/c`): sftp
 * has no `mkdir -p`.
 */
export function mkdirParents(dir: string): SftpCommand[] {
  const parts = dir.split('/');
  const commands: SftpCommand[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (prefix === '' || prefix === '.' || prefix === '..' || parts[i - 1] === '' || parts[i - 1] === '.')
      continue;
    commands.push({ op: 'mkdir', remote: prefix });
  }
  return commands;
}
