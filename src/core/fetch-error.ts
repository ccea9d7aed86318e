/**
 * @module The failure of one HTTP fetch, classified so that every message can name the URL and the cause.
 */
import { SkiffError } from './errors.js';

/**
 * Cause classes. `http-<status>` for any non-success status; `malformed` and `empty` for bad data;
 * `reset` for a connection the peer dropped; `redirect-loop` for redirects that lead back to a URL already
 * visited or go on past the limit; `network` only when nothing more specific is known.
 */
export type FailureCause =
  | 'dns'
  | 'no-route'
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'tls'
  | 'proxy'
  | `http-${number}`
  | 'malformed'
  | 'empty'
  | 'too-large'
  | 'redirect-loop'
  | 'network';

/** What went wrong, in the shape the API and `skiff remotes` show. */
export interface FetchFailure {
  cause: FailureCause;
  url: string;
  message: string;
}

/** A fetch failed. `failure` says the cause class, the URL and a human message. */
export class FetchError extends SkiffError {
  readonly failure: FetchFailure;

  constructor(failure: FetchFailure, options: { cause?: unknown } = {}) {
    super('catalog-unavailable', `${failure.message} (${failure.cause}, ${failure.url})`, options);
    this.failure = failure;
  }
}
