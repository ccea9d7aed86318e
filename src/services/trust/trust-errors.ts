/**
 * @module The errors of client trust: Multipass's words first, then what skiff adds (how to get in, how long
 * to wait).
 */
import { SkiffError } from '../../core/errors.js';
import { NOT_AUTHENTICATED, PASSPHRASE_NOT_CORRECT, PASSPHRASE_NOT_SET } from '../../core/messages.js';

/** An unknown client. Code `unauthenticated`. */
export function notAuthenticated(remote: boolean): SkiffError {
  const how = remote
    ? 'this client\'s certificate is not registered with this skiffd: run "skiff authenticate" and enter the ' +
      'passphrase an administrator set with "skiff set local.passphrase" on the daemon\'s host'
    : 'skiffd already trusts other users of this host: run "skiff authenticate" and enter the passphrase ' +
      'an administrator set with "skiff set local.passphrase" (root may always use skiff)';
  return new SkiffError('unauthenticated', `${NOT_AUTHENTICATED}\n(${how})`);
}

/** `authenticate` before any passphrase was set. Code `permission-denied`. */
export function passphraseNotSet(): SkiffError {
  return new SkiffError('permission-denied', PASSPHRASE_NOT_SET, { details: { field: 'passphrase' } });
}

/**
 * A wrong passphrase (`waiting` false: this one; true: an attempt during the wait a wrong one set, not even
 * checked). Code `permission-denied`, `details.retry_after_s` the wait.
 */
export function passphraseNotCorrect(retryAfterS: number, waiting: boolean): SkiffError {
  const why = waiting
    ? `too many wrong passphrases from this client: not checked; try again in ${retryAfterS} s`
    : `this client may try again in ${retryAfterS} s`;
  return new SkiffError('permission-denied', `${PASSPHRASE_NOT_CORRECT}\n(${why})`, {
    details: { field: 'passphrase', retry_after_s: retryAfterS },
  });
}
