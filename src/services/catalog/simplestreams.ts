/**
 * @module Pure simplestreams parsing: `streams/v1/index.json` → the products URL, and the `image-downloads`
 * products file → ImageInfo[] for one architecture. No I/O. Every error is a CatalogDataError naming the JSON
 * path. The products file can be 50 MB: it is parsed with one JSON.parse, then walked once, keeping only what
 * ImageInfo needs; products of other architectures are skipped after reading their `arch`.
 */
import { SkiffError } from '../../core/errors.js';
import { CatalogDataError } from './data-error.js';
import { isJsonObject, memberPath, parseJsonDocument, wrongType, type JsonObject } from './json-shape.js';
import type { ImageInfo } from './types.js';
import { compareVersions } from './version-order.js';

const INDEX_SUFFIX = 'streams/v1/index.json';
const IMAGE_DOWNLOADS = 'image-downloads';
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Where the products file of a remote is, as read from its index. */
export interface IndexInfo {
  /** Absolute URL of the `image-downloads` products file. */
  productsUrl: string;
}

export interface ParseProductsOptions {
  /** simplestreams arch to keep, e.g. `amd64` (see hostArch). */
  arch: string;
  /** Base URL of the remote; item paths are relative to it. */
  baseUrl: string;
}

/**
 * Reads `streams/v1/index.json`: takes the entry whose `datatype` is `image-downloads` (preferring one whose
 * key or path says `download` when there are several) and resolves its `path` against the remote base, which
 * is `indexUrl` without `streams/v1/index.json`.
 * @throws CatalogDataError `malformed` (bad JSON or shape, with the JSON path) or `empty` (no such entry);
 *   SkiffError `invalid-argument` when `indexUrl` is not an absolute URL.
 */
export function parseIndex(text: string, indexUrl: string): IndexInfo {
  const root = parseJsonDocument('index', text);
  const index = root['index'];
  if (!isJsonObject(index)) throw wrongType('index', '$.index', 'an object', index);
  let chosen: { path: string; preferred: boolean } | null = null;
  for (const key of Object.keys(index)) {
    const entry = index[key];
    const entryPath = memberPath('$.index', key);
    if (!isJsonObject(entry)) throw wrongType('index', entryPath, 'an object', entry);
    if (entry['datatype'] !== IMAGE_DOWNLOADS) continue;
    const path = entry['path'];
    if (typeof path !== 'string' || path === '') {
      throw wrongType('index', `${entryPath}.path`, 'a non-empty string', path === '' ? undefined : path);
    }
    const preferred = key.includes('download') || path.includes('download');
    if (chosen === null || (preferred && !chosen.preferred)) chosen = { path, preferred };
  }
  if (chosen === null) {
    throw new CatalogDataError({
      kind: 'empty',
      document: 'index',
      jsonPath: '$.index',
      reason: `no entry with datatype "${IMAGE_DOWNLOADS}"`,
    });
  }
  return { productsUrl: resolveAgainstRemote(chosen.path, indexUrl) };
}

/**
 * Reads an `image-downloads` products file into one ImageInfo per usable version of each product of
 * `opts.arch`. Per version the item is `uefi1.img`, else `disk1.img` (matched by item key or `ftype`); a
 * candidate without `sha256` cannot be verified and is passed over, and a version with no verifiable
 * candidate is skipped. Only the newest usable version of a product carries its aliases.
 * @throws CatalogDataError `malformed` with the JSON path of the first wrong value, or `empty` when no
 *   image for the arch remains.
 */
export function parseProducts(text: string, opts: ParseProductsOptions): ImageInfo[] {
  const root = parseJsonDocument('products', text);
  const products = root['products'];
  if (!isJsonObject(products)) throw wrongType('products', '$.products', 'an object', products);
  const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  const images: ImageInfo[] = [];
  // for-in rather than Object.keys: no key array per object in a loop that may visit a million values.
  for (const name in products) {
    const product = products[name];
    if (!isJsonObject(product)) throw wrongType('products', productPath(name), 'an object', product);
    const arch = product['arch'];
    if (typeof arch !== 'string') throw wrongType('products', `${productPath(name)}.arch`, 'a string', arch);
    if (arch === opts.arch) readProduct(name, product, arch, base, images);
  }
  if (images.length === 0) {
    throw new CatalogDataError({
      kind: 'empty',
      document: 'products',
      jsonPath: '$.products',
      reason: `no usable image for architecture "${opts.arch}"`,
    });
  }
  return images;
}

function readProduct(name: string, product: JsonObject, arch: string, base: string, out: ImageInfo[]): void {
  const release = requiredString(product['version'], name, 'version');
  const codename = requiredString(product['release'], name, 'release');
  const releaseTitle = optionalString(product['release_title'], name, 'release_title') ?? release;
  const os = displayOs(optionalString(product['os'], name, 'os'));
  const aliases = readAliases(product['aliases'], name);
  const supportedField = product['supported'];
  if (supportedField !== undefined && typeof supportedField !== 'boolean') {
    throw wrongType('products', `${productPath(name)}.supported`, 'a boolean', supportedField);
  }
  // Absent means supported; Multipass also counts the development release as supported whatever it says.
  const supported = supportedField !== false || aliases.includes('devel');
  const versions = product['versions'];
  if (!isJsonObject(versions)) {
    throw wrongType('products', `${productPath(name)}.versions`, 'an object', versions);
  }

  let newest: ImageInfo | null = null;
  for (const serial in versions) {
    const version = versions[serial];
    if (!isJsonObject(version)) throw wrongType('products', versionPath(name, serial), 'an object', version);
    const items = version['items'];
    if (!isJsonObject(items)) {
      throw wrongType('products', `${versionPath(name, serial)}.items`, 'an object', items);
    }
    const chosen = chooseItem(items, name, serial);
    if (chosen === null) continue;
    const image: ImageInfo = {
      id: chosen.sha256,
      product: name,
      os,
      release,
      releaseTitle,
      codename,
      version: serial,
      aliases: [],
      supported,
      arch,
      item: chosen.item,
      url: base + chosen.path,
      sizeBytes: chosen.sizeBytes,
      sha256: chosen.sha256,
    };
    out.push(image);
    if (newest === null || compareVersions(serial, newest.version) > 0) newest = image;
  }
  // Aliases follow the newest version that can actually be used, so they never point at nothing.
  if (newest !== null) newest.aliases = aliases;
}

interface ChosenItem {
  item: 'uefi1.img' | 'disk1.img';
  path: string;
  sizeBytes: number;
  sha256: string;
}

function chooseItem(items: JsonObject, name: string, serial: string): ChosenItem | null {
  let uefiKey: string | undefined;
  let diskKey: string | undefined;
  for (const key in items) {
    const item = items[key];
    if (!isJsonObject(item)) throw wrongType('products', itemPath(name, serial, key), 'an object', item);
    // The item key names the file type on Ubuntu's hosts; `ftype` is the fallback for mirrors that rename keys.
    const kind = key === 'uefi1.img' || key === 'disk1.img' ? key : item['ftype'];
    if (kind === 'uefi1.img' && (uefiKey === undefined || key === kind)) uefiKey = key;
    else if (kind === 'disk1.img' && (diskKey === undefined || key === kind)) diskKey = key;
  }
  if (uefiKey !== undefined) {
    const chosen = readItem(items[uefiKey] as JsonObject, 'uefi1.img', name, serial, uefiKey);
    if (chosen !== null) return chosen;
  }
  if (diskKey === undefined) return null;
  return readItem(items[diskKey] as JsonObject, 'disk1.img', name, serial, diskKey);
}

function readItem(
  item: JsonObject,
  kind: ChosenItem['item'],
  name: string,
  serial: string,
  key: string,
): ChosenItem | null {
  const sha256 = item['sha256'];
  // Without a checksum the download could not be verified: pass the item over rather than fail the catalog.
  if (sha256 === undefined || sha256 === null || sha256 === '') return null;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    const at = `${itemPath(name, serial, key)}.sha256`;
    if (typeof sha256 !== 'string') throw wrongType('products', at, 'a sha256 hex string', sha256);
    throw new CatalogDataError({
      kind: 'malformed',
      document: 'products',
      jsonPath: at,
      reason: 'expected 64 hex digits',
    });
  }
  const path = item['path'];
  if (typeof path !== 'string' || path === '') {
    throw wrongType(
      'products',
      `${itemPath(name, serial, key)}.path`,
      'a non-empty string',
      path === '' ? undefined : path,
    );
  }
  const size = item['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    const at = `${itemPath(name, serial, key)}.size`;
    if (typeof size !== 'number') throw wrongType('products', at, 'a non-negative integer', size);
    throw new CatalogDataError({
      kind: 'malformed',
      document: 'products',
      jsonPath: at,
      reason: `expected a non-negative integer, got ${size}`,
    });
  }
  return {
    item: kind,
    path: path.startsWith('/') ? path.slice(1) : path,
    sizeBytes: size,
    sha256: sha256.toLowerCase(),
  };
}

function readAliases(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string')
    throw wrongType('products', `${productPath(name)}.aliases`, 'a string', value);
  const aliases: string[] = [];
  for (const part of value.split(',')) {
    const alias = part.trim();
    if (alias !== '' && !aliases.includes(alias)) aliases.push(alias);
  }
  return aliases;
}

function requiredString(value: unknown, name: string, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw wrongType(
      'products',
      `${productPath(name)}.${field}`,
      'a non-empty string',
      value === '' ? undefined : value,
    );
  }
  return value;
}

function optionalString(value: unknown, name: string, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw wrongType('products', `${productPath(name)}.${field}`, 'a string', value);
  return value;
}

/** `ubuntu` → `Ubuntu`, as Multipass shows it; an absent os is Ubuntu (these are Ubuntu's streams). */
function displayOs(os: string | undefined): string {
  if (os === undefined) return 'Ubuntu';
  return os.charAt(0).toUpperCase() + os.slice(1);
}

function resolveAgainstRemote(path: string, indexUrl: string): string {
  if (ABSOLUTE_URL.test(path)) return path;
  try {
    const base = indexUrl.endsWith(INDEX_SUFFIX)
      ? new URL(indexUrl.slice(0, -INDEX_SUFFIX.length))
      : new URL('../../', indexUrl);
    // `./` keeps a first segment such as `com.ubuntu.cloud:released…` from being read as a URL scheme.
    return new URL(`./${path.replace(/^\/+/, '')}`, base).href;
  } catch (error) {
    throw new SkiffError('invalid-argument', `index URL is not an absolute URL: "${indexUrl}"`, {
      cause: error,
    });
  }
}

function productPath(name: string): string {
  return memberPath('$.products', name);
}

function versionPath(name: string, serial: string): string {
  return memberPath(`${productPath(name)}.versions`, serial);
}

function itemPath(name: string, serial: string, key: string): string {
  return memberPath(`${versionPath(name, serial)}.items`, key);
}
