/**
 * @module The error for a simplestreams file that arrived intact but cannot be used: it is not JSON, has the
 * wrong shape, or has no image for this host. Network failures are not this error.
 */
import { SkiffError } from '../../core/errors.js';

/** `malformed`: not JSON or wrong shape. `empty`: well-formed but no usable image for this host. */
export type CatalogDataKind = 'malformed' | 'empty';

/** Which simplestreams document was being read. */
export type CatalogDocument = 'index' | 'products';

export interface CatalogDataErrorInit {
  kind: CatalogDataKind;
  document: CatalogDocument;
  /** Where in the document, e.g. `$.products["com.ubuntu.cloud:server:24.04:amd64"].versions`. */
  jsonPath: string;
  /** What is wrong there, e.g. `expected an object, got string`. */
  reason: string;
  cause?: unknown;
}

/**
 * A simplestreams document that cannot be used. The message names the document and the JSON path:
 * `malformed products file at $.products["…"].versions: expected an object, got string`.
 * Code `catalog-unavailable`: the remote's catalog cannot be used.
 */
export class CatalogDataError extends SkiffError {
  readonly kind: CatalogDataKind;
  readonly document: CatalogDocument;
  readonly jsonPath: string;

  constructor(init: CatalogDataErrorInit) {
    super('catalog-unavailable', `${init.kind} ${init.document} file at ${init.jsonPath}: ${init.reason}`, {
      cause: init.cause,
      details: { kind: init.kind, document: init.document, jsonPath: init.jsonPath },
    });
    this.name = 'CatalogDataError';
    this.kind = init.kind;
    this.document = init.document;
    this.jsonPath = init.jsonPath;
  }
}
