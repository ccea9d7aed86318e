/**
 * @module `launch --network` and `--bridged` as Multipass reads them: `name=IF[,mode=auto|manual][,mac=MAC]`,
 * or just `IF` for `name=IF`; `--bridged` adds `name=bridged`, which the daemon resolves through
 * `local.bridged-network`. Checked here so a typo fails before the daemon is asked; the daemon checks again.
 * Pure.
 */
import { BRIDGED_NETWORK, type NetworkOptionJson } from '../api/contract.js';
import { SkiffError } from '../core/errors.js';
import { checkMac } from '../core/mac-address.js';

const KEYS = ['name', 'mode', 'mac'] as const;

function invalid(spec: string, problem: string): SkiffError {
  return new SkiffError('invalid-argument', `--network ${spec}: ${problem}`, {
    details: { field: '--network' },
  });
}

/** One `--network` value. @throws SkiffError('invalid-argument') naming the option and what is wrong */
export function parseNetworkOption(spec: string): NetworkOptionJson {
  const parts = spec.split(',').filter((part) => part !== '');
  const option: Partial<NetworkOptionJson> = {};
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals === -1) {
      // Multipass's shortcut: a lone word is the name.
      if (parts.length !== 1) throw invalid(spec, `"${part}" is not key=value (keys: ${KEYS.join(', ')})`);
      option.name = part;
      continue;
    }
    const key = part.slice(0, equals).toLowerCase();
    const value = part.slice(equals + 1);
    if (!(KEYS as readonly string[]).includes(key))
      throw invalid(spec, `unknown key "${key}" (keys: ${KEYS.join(', ')})`);
    if (value === '') throw invalid(spec, `${key} has no value`);
    if (option[key as (typeof KEYS)[number]] !== undefined) throw invalid(spec, `${key} is given twice`);
    if (key === 'name') option.name = value;
    else if (key === 'mode') {
      const mode = value.toLowerCase();
      if (mode !== 'auto' && mode !== 'manual')
        throw invalid(spec, `bad mode "${value}", need "auto" or "manual"`);
      option.mode = mode;
    } else option.mac = checkMac(value, `--network ${spec}: mac`);
  }
  if (option.name === undefined) throw invalid(spec, 'a name is needed (name=IF, see `skiff networks`)');
  return {
    name: option.name,
    ...(option.mode && { mode: option.mode }),
    ...(option.mac && { mac: option.mac }),
  };
}

/**
 * Every `--network` in order, after the one `--bridged` adds (as Multipass orders them).
 * @throws SkiffError('invalid-argument') for the first bad one
 */
export function networkOptions(specs: readonly string[] | undefined, bridged: boolean): NetworkOptionJson[] {
  return [...(bridged ? [{ name: BRIDGED_NETWORK }] : []), ...(specs ?? []).map(parseNetworkOption)];
}
