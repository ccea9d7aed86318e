/**
 * @module How a CLI verb is declared: its name, aliases, help, operands and options as data, with the `run`
 * they feed. The type of `run`'s arguments is derived from the declared operands and options, so nothing
 * untyped sits between commander and a command; `register` turns the declaration into a commander command.
 *
 * @example
 * export const verb = defineVerb({
 *   name: 'get',
 *   description: 'Get a configuration setting',
 *   operands: { key: operand('[key]', 'the setting key') },
 *   options: { raw: flag('--raw', 'print an empty value as nothing') },
 *   run: async ({ key, raw }, ctx) => 0, // key: string | undefined, raw: boolean | undefined
 * });
 */
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';

/**
 * An option as commander declares it; `T` is the value the command gets. `__value` only carries the type (a
 * function type, so that inferring it keeps `| undefined`, which an optional `T` property would drop).
 */
export interface OptionSpec<T> {
  readonly flags: string;
  readonly description: string;
  readonly mandatory: boolean;
  /** Collects every occurrence into a list. */
  readonly repeatable?: boolean;
  readonly __value?: () => T;
}

/** An operand (positional argument); `T` is the value the command gets. */
export interface OperandSpec<T> {
  readonly syntax: string;
  readonly description: string;
  readonly __value?: () => T;
}

/** `<x...>` and `[x...]` give arrays, `[x]` may be absent, `<x>` is a string. */
type OperandValue<S extends string> = S extends `${string}...${']' | '>'}`
  ? string[]
  : S extends `[${string}]`
    ? string | undefined
    : string;

type Operands = Record<string, OperandSpec<unknown>>;
type Options = Record<string, OptionSpec<unknown>>;
type Values<R> = { [K in keyof R]: R[K] extends { __value?: () => infer T } ? T : never };

/** The arguments `run` gets: one property per declared operand and option, under its key. */
export type VerbArgs<A extends Operands, O extends Options> = Values<A> & Values<O>;

/** An option taking a value: `--name <name>`. */
export function value(flags: string, description: string): OptionSpec<string | undefined> {
  return { flags, description, mandatory: false };
}

/** An option that may be given many times (`--network a --network b`); the command gets every value in order. */
export function repeatable(flags: string, description: string): OptionSpec<string[] | undefined> {
  return { flags, description, mandatory: false, repeatable: true };
}

/** An option taking a value that must be given (commander refuses the command without it). */
export function mandatory(flags: string, description: string): OptionSpec<string> {
  return { flags, description, mandatory: true };
}

/** A boolean switch: `--all`. */
export function flag(flags: string, description: string): OptionSpec<boolean | undefined> {
  return { flags, description, mandatory: false };
}

/** An operand, typed by its commander syntax (`[image]`, `<name>`, `[names...]`). */
export function operand<S extends string>(syntax: S, description: string): OperandSpec<OperandValue<S>> {
  return { syntax, description };
}

/** The `--format` option of the commands that print data. */
export const formatOption = value('--format <format>', 'output format: table, json, csv or yaml');

/** Runs a command's body and records its exit code; main.ts supplies it (it owns the context and the code). */
export type Invoke = (body: (ctx: CliContext) => Promise<number>) => Promise<void>;

/** A declared verb, ready to be added to a commander program. */
export interface Verb {
  readonly name: string;
  readonly aliases: readonly string[];
  register(parent: Command, invoke: Invoke): void;
}

/** What a verb file declares: help, operands and options (typed), and the body they feed. */
export interface VerbDefinition<A extends Operands, O extends Options> {
  name: string;
  aliases?: string[];
  description: string;
  operands?: A;
  options?: O;
  run(args: VerbArgs<A, O>, ctx: CliContext): Promise<number>;
}

/** Declares a verb; `run`'s argument type follows from `operands` and `options`. */
export function defineVerb<
  A extends Operands = Record<never, never>,
  O extends Options = Record<never, never>,
>(definition: VerbDefinition<A, O>): Verb {
  const operands = Object.entries(definition.operands ?? {});
  const options = Object.entries(definition.options ?? {});
  return {
    name: definition.name,
    aliases: definition.aliases ?? [],
    register(parent, invoke) {
      const command = parent.command(definition.name).description(definition.description);
      if (definition.aliases) command.aliases(definition.aliases);
      for (const [, spec] of operands) command.argument(spec.syntax, spec.description);
      for (const [key, spec] of options) {
        const option = new Option(spec.flags, spec.description).makeOptionMandatory(spec.mandatory);
        if (spec.repeatable)
          option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
        // The key is the property `run` reads: it must be the one commander stores the value under.
        if (option.attributeName() !== key)
          throw new Error(
            `${definition.name}: option ${spec.flags} is stored as ${option.attributeName()}, not ${key}`,
          );
        command.addOption(option);
      }
      command.action(async (...values: unknown[]) => {
        // commander passes each operand in declaration order, then the options record, then the command.
        const args = {
          ...Object.fromEntries(operands.map(([key], index) => [key, values[index]])),
          ...(values[operands.length] as Record<string, unknown>),
        };
        // The one cast between commander and the command: the specs above declared exactly these values.
        await invoke((ctx) => definition.run(args as VerbArgs<A, O>, ctx));
      });
    },
  };
}

/** A verb that only groups subcommands (`skiff mirror build|serve`). */
export function defineGroup(definition: { name: string; description: string; subcommands: Verb[] }): Verb {
  return {
    name: definition.name,
    aliases: [],
    register(parent, invoke) {
      const group = parent.command(definition.name).description(definition.description);
      for (const subcommand of definition.subcommands) subcommand.register(group, invoke);
    },
  };
}
