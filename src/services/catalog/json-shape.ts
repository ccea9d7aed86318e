/**
 * @module Small helpers the simplestreams parser uses to check JSON shapes and to name the JSON path of
 * a problem. Paths are built only when a check fails, so the hot loop pays nothing for them.
 */
import { CatalogDataError, type CatalogDocument } from './data-error.js';

/** A parsed JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** True for a JSON object; arrays and null are not objects here. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `$.products` + `com.ubuntu…` → `$.products["com.ubuntu…"]`: map keys are always bracketed and quoted. */
export function memberPath(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

/** The JSON type of a value as a message word: `string`, `number`, `boolean`, `null`, `array`, `object`. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A `malformed` error for a value of the wrong type (or a missing one) at `path`. */
export function wrongType(
  document: CatalogDocument,
  path: string,
  expected: string,
  value: unknown,
): CatalogDataError {
  const reason =
    value === undefined ? `missing (expected ${expected})` : `expected ${expected}, got ${jsonTypeOf(value)}`;
  return new CatalogDataError({ kind: 'malformed', document, jsonPath: path, reason });
}

/** Parses JSON text; a syntax error becomes `malformed` at `$` with the parser's own message. */
export function parseJsonDocument(document: CatalogDocument, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CatalogDataError({ kind: 'malformed', document, jsonPath: '$', reason, cause: error });
  }
  if (!isJsonObject(value)) throw wrongType(document, '$', 'an object', value);
  return value;
}
