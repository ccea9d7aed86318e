/**
 * @module Pure: `skiff transfer` operands (`NAME:PATH`, local paths, `-`) → what to copy where, with
 * Multipass's command-line errors (`transfer.cpp`), all found before anything is copied.
 */
import { SkiffError } from '../../core/errors.js';

/** A path inside an instance; relative paths are relative to the guest user's home. */
export interface GuestPath {
  instance: string;
  path: string;
}

export type TransferPlan =
  /** Local files or directories into one guest path. */
  | { kind: 'push'; sources: string[]; target: GuestPath }
  /** Guest files or directories (from one or more instances) into one local path. */
  | { kind: 'pull'; sources: GuestPath[]; target: string }
  /** stdin into a guest file. */
  | { kind: 'from-stdin'; target: GuestPath }
  /** A guest file onto stdout. */
  | { kind: 'to-stdout'; source: GuestPath };

const STREAM = '-';
/** An instance name as skiff allows them (see services/instances/spec.ts), then the colon. */
const REMOTE = /^([A-Za-z][A-Za-z0-9-]{0,62}):(.*)$/s;

const usage = (message: string) => new SkiffError('invalid-argument', message);

/**
 * Splits one operand: `NAME:PATH` is a guest path, anything else a local path. A local path holding a colon
 * after a name-like prefix (`a:b`) must be written `./a:b`.
 */
export function splitOperand(operand: string): { instance?: string; path: string } {
  const match = REMOTE.exec(operand);
  return match ? { instance: match[1]!, path: match[2]! } : { path: operand };
}

/**
 * A guest path as sftp and the guest's shell will both read it: empty or `~` means the home directory, `~/x`
 * is `x` (relative paths start in the home directory), and a leading `-` gets `./` so no tool reads it as an
 * option. Newlines are refused: sftp's batch language is one command a line.
 */
export function normaliseGuestPath(path: string): string {
  checkNoNewline(path);
  let p = path;
  if (p === '' || p === '~') p = '.';
  else if (p.startsWith('~/')) p = p.slice(2) || '.';
  if (p.startsWith('-')) p = `./${p}`;
  return p;
}

function checkNoNewline(path: string): void {
  if (/[\n\r]/.test(path))
    throw usage(`transfer: the path ${JSON.stringify(path)} holds a newline, which transfer cannot carry`);
}

/** Parses `SOURCE... DESTINATION`. @throws SkiffError `invalid-argument` with Multipass's messages. */
export function parseTransferArgs(operands: readonly string[]): TransferPlan {
  if (operands.length < 2) throw usage('Not enough arguments given');
  const sources = operands.slice(0, -1);
  const destination = operands[operands.length - 1]!;
  const streamSources = sources.filter((s) => s === STREAM).length;
  const streamTarget = destination === STREAM;
  if ((streamTarget && streamSources > 0) || streamSources > 1) throw usage(`Only one '-' allowed`);
  if ((streamTarget || streamSources > 0) && sources.length > 1)
    throw usage(`Only two arguments allowed when using '-'`);

  if (streamTarget) {
    const source = splitOperand(sources[0]!);
    if (source.instance === undefined) throw usage('Source must be from inside an instance');
    return {
      kind: 'to-stdout',
      source: { instance: source.instance, path: normaliseGuestPath(source.path) },
    };
  }
  const target = splitOperand(destination);
  if (streamSources > 0) {
    if (target.instance === undefined) throw usage('Target must be inside an instance');
    return {
      kind: 'from-stdin',
      target: { instance: target.instance, path: normaliseGuestPath(target.path) },
    };
  }

  const split = sources.map(splitOperand);
  const remoteSources = split.filter((s) => s.instance !== undefined).length;
  if (target.instance === undefined) {
    if (remoteSources === 0) throw usage('An instance name is needed for either source or destination');
    if (remoteSources < split.length) throw usage('All sources must be from inside an instance');
    checkNoNewline(target.path);
    return {
      kind: 'pull',
      sources: split.map((s) => ({ instance: s.instance!, path: normaliseGuestPath(s.path) })),
      target: target.path === '' ? '.' : target.path,
    };
  }
  if (remoteSources > 0) throw usage('Cannot specify an instance name for both source and destination');
  for (const s of split) {
    if (s.path === '') throw usage('transfer: a source path is empty');
    checkNoNewline(s.path);
  }
  return {
    kind: 'push',
    sources: split.map((s) => s.path),
    target: { instance: target.instance, path: normaliseGuestPath(target.path) },
  };
}
