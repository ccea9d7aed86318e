import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSkiffError, SkiffError } from '../../core/errors.js';
import { CatalogDataError } from './data-error.js';

test('the message names kind, document, JSON path and reason; code is catalog-unavailable', () => {
  const path = '$.products["com.ubuntu.cloud:server:24.04:amd64"].versions';
  const error = new CatalogDataError({
    kind: 'malformed',
    document: 'products',
    jsonPath: path,
    reason: 'expected an object, got string',
  });
  assert.equal(error.message, `malformed products file at ${path}: expected an object, got string`);
  assert.equal(error.code, 'catalog-unavailable');
  assert.equal(error.kind, 'malformed');
  assert.equal(error.document, 'products');
  assert.equal(error.jsonPath, path);
  assert.deepEqual(error.details, { kind: 'malformed', document: 'products', jsonPath: path });
});

test('it is a SkiffError by class and by brand, and keeps its cause', () => {
  const cause = new SyntaxError('Unexpected end of JSON input');
  const error = new CatalogDataError({
    kind: 'empty',
    document: 'index',
    jsonPath: '$.index',
    reason: 'x',
    cause,
  });
  assert.ok(error instanceof SkiffError);
  assert.ok(isSkiffError(error));
  assert.equal(error.cause, cause);
  assert.match(error.message, /^empty index file at \$\.index: x$/);
});
