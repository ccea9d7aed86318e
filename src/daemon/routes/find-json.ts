/**
 * @module Encodes `find` in Multipass's JSON shape (`find --format json`), plus skiff's `warnings`.
 */
import type { FindImageJson, FindResponse } from '../../api/contract.js';
import type { FindResult } from '../../services/catalog/find.js';

/** Rows keep their order as the keys of `images` (the display order). */
export function findJson(result: FindResult): FindResponse {
  const images: Record<string, FindImageJson> = {};
  for (const { key, aliases, remote, image } of result.rows) {
    images[key] = { os: image.os, release: image.releaseTitle, version: image.version, aliases, remote };
  }
  return { errors: result.errors, warnings: result.warnings, images };
}
