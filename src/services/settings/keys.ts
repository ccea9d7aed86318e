/**
 * @module The settings skiff knows (Multipass's keys), their defaults and validation. Pure.
 */
import { SkiffError } from '../../core/errors.js';
import { invalidSetting, unrecognizedSettingsKey } from '../../core/messages.js';
import { normaliseMirror } from '../catalog/remotes.js';
import { formatSubnet, validateSubnet } from '../network/subnet.js';
import { hashPassphrase, isPassphraseHash } from '../trust/passphrase.js';

export interface SettingKey {
  key: string;
  defaultValue: string;
  /** Returns the value to store, or throws SkiffError('invalid-argument') naming the key. */
  normalise(value: string): string;
  /** What `get` shows for a stored value (the passphrase is never shown). */
  show?(stored: string): string;
  /** Whether a value read back from disk is one normalise() could have stored. */
  isStored(stored: string): boolean;
}

/** For keys whose normalise() maps a stored value to itself. */
function idempotent(this: SettingKey, stored: string): boolean {
  try {
    return this.normalise(stored) === stored;
  } catch {
    return false;
  }
}

const INSTANCE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

function oneOf(key: string, allowed: string[]): (value: string) => string {
  return (value) => {
    if (!allowed.includes(value)) {
      throw new SkiffError('invalid-argument', invalidSetting(key, value, `allowed: ${allowed.join(', ')}`));
    }
    return value;
  };
}

export const SETTING_KEYS: SettingKey[] = [
  {
    key: 'client.primary-name',
    defaultValue: 'primary',
    normalise: (value) => {
      if (value !== '' && !INSTANCE_NAME.test(value)) {
        throw new SkiffError(
          'invalid-argument',
          invalidSetting(
            'client.primary-name',
            value,
            'not a valid instance name (letters, digits and "-", starting with a letter)',
          ),
        );
      }
      return value;
    },
    isStored: idempotent,
  },
  {
    key: 'local.driver',
    defaultValue: 'qemu',
    normalise: oneOf('local.driver', ['qemu']),
    isStored: idempotent,
  },
  {
    key: 'local.image.mirror',
    defaultValue: '',
    normalise: (value) => (value === '' ? '' : normaliseMirror(value)),
    isStored: idempotent,
  },
  {
    key: 'local.bridged-network',
    defaultValue: '',
    normalise: (value) => value,
    isStored: idempotent,
  },
  {
    // skiff's own: how new instances are networked. `nat` = skiff's bridge with an address the host can reach
    // (root only); `user` = QEMU's user-mode NAT with an SSH forward. Empty: the daemon's default.
    key: 'local.network-mode',
    defaultValue: '',
    normalise: (value) => (value === '' ? '' : oneOf('local.network-mode', ['nat', 'user'])(value)),
    isStored: idempotent,
  },
  {
    // skiff's own: the private subnet of skiff's NAT network (empty: chosen at first start, clear of the host's
    // addresses and routes). Read when skiffd starts.
    key: 'local.subnet',
    defaultValue: '',
    normalise: (value) => (value === '' ? '' : formatSubnet(validateSubnet(value, 'local.subnet'))),
    isStored: idempotent,
  },
  {
    key: 'local.privileged-mounts',
    defaultValue: 'true',
    normalise: (value) => oneOf('local.privileged-mounts', ['true', 'false'])(value.toLowerCase()),
    isStored: idempotent,
  },
  {
    key: 'local.passphrase',
    defaultValue: '',
    // Stored as a salted scrypt hash (services/trust/passphrase.ts), never shown: `get` prints ***** when
    // one is set. Empty: none, so `authenticate` is refused until an administrator sets one.
    normalise: (value) => (value === '' ? '' : hashPassphrase(value)),
    show: (stored) => (stored === '' ? '' : '*****'),
    isStored: (stored) => stored === '' || isPassphraseHash(stored),
  },
];

/** @throws SkiffError('invalid-argument') for a key skiff does not know, listing the known ones. */
export function settingKey(key: string): SettingKey {
  const found = SETTING_KEYS.find((k) => k.key === key);
  if (!found) {
    throw new SkiffError(
      'invalid-argument',
      `${unrecognizedSettingsKey(key)} (known keys: ${SETTING_KEYS.map((k) => k.key).join(', ')})`,
      { details: { field: 'key' } },
    );
  }
  return found;
}
