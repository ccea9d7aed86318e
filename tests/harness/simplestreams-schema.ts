/**
 * @module An independent check of the simplestreams JSON shape (a JSON Schema, written from the Ubuntu
 * cloud-image servers' files, not from skiff's parser), so skiff's writer is not only judged by its own reader.
 */
import { Ajv } from 'ajv';

const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const md5 = { type: 'string', pattern: '^[0-9a-f]{32}$' };

const indexSchema = {
  type: 'object',
  required: ['format', 'index', 'updated'],
  properties: {
    format: { const: 'index:1.0' },
    updated: { type: 'string', minLength: 1 },
    index: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['datatype', 'format', 'path', 'products', 'updated'],
        properties: {
          datatype: { const: 'image-downloads' },
          format: { const: 'products:1.0' },
          path: { type: 'string', pattern: '^streams/v1/[^/]+\\.json$' },
          products: { type: 'array', items: { type: 'string' }, minItems: 1 },
          updated: { type: 'string' },
        },
      },
    },
  },
};

const productsSchema = {
  type: 'object',
  required: ['content_id', 'datatype', 'format', 'products', 'updated'],
  properties: {
    content_id: { type: 'string', pattern: '^[a-z.]+:[a-z]+:download$' },
    datatype: { const: 'image-downloads' },
    format: { const: 'products:1.0' },
    updated: { type: 'string' },
    products: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['aliases', 'arch', 'os', 'release', 'release_title', 'supported', 'version', 'versions'],
        properties: {
          aliases: { type: 'string', pattern: '^[a-z0-9.-]+(,[a-z0-9.-]+)*$' },
          arch: { type: 'string' },
          os: { type: 'string' },
          release: { type: 'string' },
          release_title: { type: 'string' },
          supported: { type: 'boolean' },
          version: { type: 'string', pattern: '^\\d+\\.\\d+$' },
          versions: {
            type: 'object',
            minProperties: 1,
            propertyNames: { pattern: '^\\d{8}(\\.\\d+)?$' },
            additionalProperties: {
              type: 'object',
              required: ['items'],
              properties: {
                items: {
                  type: 'object',
                  required: ['disk1.img'],
                  additionalProperties: {
                    type: 'object',
                    required: ['ftype', 'path', 'size', 'sha256', 'md5'],
                    properties: {
                      ftype: { type: 'string' },
                      path: { type: 'string' },
                      size: { type: 'integer', minimum: 1 },
                      sha256,
                      md5,
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true });
const checkIndex = ajv.compile(indexSchema);
const checkProducts = ajv.compile(productsSchema);

/** Returns the schema violations of an index and a products document ([] when both are valid). */
export function simplestreamsShapeErrors(index: unknown, products: unknown): string[] {
  const errors: string[] = [];
  if (!checkIndex(index))
    errors.push(...(checkIndex.errors ?? []).map((e) => `index${e.instancePath} ${e.message}`));
  if (!checkProducts(products))
    errors.push(...(checkProducts.errors ?? []).map((e) => `products${e.instancePath} ${e.message}`));
  return errors;
}
