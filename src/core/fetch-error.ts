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

/**
 * An HTTP fetch failed; `failure` says the cause class, the URL and a human message. Abstract: a catalog
 * document and an image download fail with different codes, so each is its own family below.
 */
export abstract class FetchError extends SkiffError {
  readonly failure: FetchFailure;

  protected constructor(
    code: 'catalog-unavailable' | 'download-failed',
    failure: FetchFailure,
    options: { cause?: unknown },
  ) {
    super(code, `${failure.message} (${failure.cause}, ${failure.url})`, options);
    this.failure = failure;
  }
}

/** Fetching a catalog document (index or products) failed. Code `catalog-unavailable`. */
export class CatalogFetchError extends FetchError {
  constructor(failure: FetchFailure, options: { cause?: unknown } = {}) {
    super('catalog-unavailable', failure, options);
    this.name = 'CatalogFetchError';
  }
}

/** Downloading an image failed; a resumable partial may be kept. Code `download-failed`. */
export class DownloadError extends FetchError {
  constructor(failure: FetchFailure, options: { cause?: unknown } = {}) {
    super('download-failed', failure, options);
    this.name = 'DownloadError';
  }
}
