/**
 * @module Glue between commander and the command modules: lazy loading, the context, the exit code.
 */
import { Option } from 'commander';
import { createContext, type CliContext } from './context.js';
import { EXIT } from './exit-codes.js';

type Runner<A> = (args: A, ctx: CliContext) => Promise<number>;

let lastExitCode: number = EXIT.ok;
let verbosity = 0;

/** The exit code the command that ran asked for. */
export function exitCode(): number {
  return lastExitCode;
}

export function setVerbosity(level: number): void {
  verbosity = level;
}

/** A commander action that loads the command module only when it runs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes untyped positional values
export function action<A>(load: () => Promise<{ run: Runner<A> }>, toArgs: (...values: any[]) => A) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async (...values: any[]) => {
    const { run } = await load();
    lastExitCode = await run(toArgs(...values), createContext(verbosity));
  };
}

export const formatOption = () =>
  new Option('--format <format>', 'output format: table, json, csv or yaml').default(undefined, 'table');
