/**
 * @module Builds simplestreams trees in the shape of cloud-images.ubuntu.com, for tests, the loopback mirror
 * and the catalog benchmark. Deterministic: the same options always give the same bytes. Also reads the
 * hand-written fixtures in src/services/catalog/testdata/.
 */
import { readFileSync } from 'node:fs';

/** One version (serial) of a product and its bootable item. */
export interface FixtureVersion {
  /** e.g. `20251120` or `20251120.1`. */
  serial: string;
  /** Item path relative to the remote base, e.g. `server/releases/noble/release-20251120/x.img`. */
  path: string;
  sizeBytes: number;
  /** 64 hex digits; `''` leaves the field out (an item that cannot be verified). */
  sha256: string;
  /** Item key and ftype; default `disk1.img`. */
  item?: 'disk1.img' | 'uefi1.img';
}

/** One product (one release on one arch). */
export interface FixtureProduct {
  /** Release number, e.g. `24.04` (the products file's `version`). */
  release: string;
  /** e.g. `noble` (the products file's `release`). */
  codename: string;
  /** e.g. `24.04 LTS` (`release_title`). */
  title: string;
  /** In products-file order, e.g. `['24.04', 'default', 'lts', 'n', 'noble']`. */
  aliases: string[];
  /** Default `amd64`. */
  arch?: string;
  /** Default true. */
  supported?: boolean;
  /** Default `ubuntu`. */
  os?: string;
  versions: FixtureVersion[];
}

export interface SimplestreamsTreeOptions {
  products: FixtureProduct[];
  /** Default `releases`. */
  stream?: 'releases' | 'daily';
}

/** The fixed `updated` stamp of generated files (RFC 2822, like Ubuntu's). */
export const FIXTURE_UPDATED = 'Thu, 20 Nov 2025 12:00:00 +0000';

const INDEX_PATH = 'streams/v1/index.json';

/** dist/src/testing/ → src/services/catalog/testdata/: tsc does not copy JSON, so tests read it from src/. */
const CATALOG_TESTDATA = new URL('../../../src/services/catalog/testdata/', import.meta.url);

/**
 * The text of a file in src/services/catalog/testdata/ (`index.json`, `products-release.json`,
 * `products-daily.json`): products files modelled on Ubuntu's, with several releases, versions and aliases,
 * an unsupported product, a second arch, uefi1.img items, items without sha256 and a shared id prefix.
 */
export function readCatalogTestdata(name: string): string {
  return readFileSync(new URL(name, CATALOG_TESTDATA), 'utf8');
}

/**
 * Relative path → JSON text of `streams/v1/index.json` and the products file
 * (`streams/v1/com.ubuntu.cloud:released:download.json`, or `…:daily:download.json` for daily).
 * @example buildSimplestreamsTree({ products: [noble] })['streams/v1/index.json']
 */
export function buildSimplestreamsTree(opts: SimplestreamsTreeOptions): Record<string, string> {
  const daily = opts.stream === 'daily';
  const contentId = daily ? 'com.ubuntu.cloud:daily:download' : 'com.ubuntu.cloud:released:download';
  const productsPath = `streams/v1/${contentId}.json`;
  const products: Record<string, unknown> = {};
  for (const product of opts.products) {
    products[productName(product, daily)] = productJson(product, daily);
  }
  const index = {
    format: 'index:1.0',
    updated: FIXTURE_UPDATED,
    index: {
      [contentId]: {
        datatype: 'image-downloads',
        path: productsPath,
        updated: FIXTURE_UPDATED,
        products: Object.keys(products).sort(),
        format: 'products:1.0',
      },
    },
  };
  const productsFile = {
    content_id: contentId,
    datatype: 'image-downloads',
    format: 'products:1.0',
    license: 'http://www.canonical.com/intellectual-property-policy',
    creator: 'Canonical Group Limited',
    updated: FIXTURE_UPDATED,
    products,
  };
  return {
    [INDEX_PATH]: `${JSON.stringify(index, null, 1)}\n`,
    [productsPath]: `${JSON.stringify(productsFile, null, 1)}\n`,
  };
}

/**
 * A products file of at least `targetBytes` in the real shape: many products (releases × arches) × many
 * versions, each with disk1.img, uefi1.img, lxd.tar.xz, root.tar.xz and manifest items carrying
 * md5/sha256/size/path/ftype. Checksums come from a seeded generator, so ids are distinct and realistic.
 */
export function syntheticProducts(targetBytes: number): string {
  const random = seeded(0x5eed);
  const hex = (digits: number): string => {
    let out = '';
    while (out.length < digits) out += random().toString(16).padStart(8, '0');
    return out.slice(0, digits);
  };
  const arches = ['amd64', 'arm64', 'armhf', 'ppc64el', 's390x', 'riscv64'];
  const versionsPerProduct = 60;
  const chunks: string[] = [];
  let bytes = 0;
  for (let n = 0; bytes < targetBytes; n++) {
    const year = 10 + Math.floor(n / 2);
    const release = `${year}.${n % 2 === 0 ? '04' : '10'}`;
    const codename = `codename${n}`;
    const title = n % 4 === 0 ? `${release} LTS` : release;
    for (const arch of arches) {
      const versions: Record<string, unknown> = {};
      for (let v = 0; v < versionsPerProduct; v++) {
        const serial = `2${String(year).padStart(3, '0')}${String(1 + (v % 12)).padStart(2, '0')}${String(1 + (v % 28)).padStart(2, '0')}${v >= 12 ? `.${v}` : ''}`;
        const dir = `server/releases/${codename}/release-${serial}`;
        const file = `ubuntu-${release}-server-cloudimg-${arch}`;
        const item = (ftype: string, suffix: string): Record<string, unknown> => ({
          ftype,
          md5: hex(32),
          path: `${dir}/${file}${suffix}`,
          sha256: hex(64),
          size: 200_000_000 + (random() % 400_000_000),
        });
        versions[serial] = {
          items: {
            'disk1.img': item('disk1.img', '.img'),
            'uefi1.img': item('uefi1.img', '-uefi1.img'),
            'lxd.tar.xz': item('lxd.tar.xz', '-lxd.tar.xz'),
            'root.tar.xz': item('root.tar.xz', '-root.tar.xz'),
            manifest: item('manifest', '.manifest'),
          },
          label: 'release',
          pubname: `ubuntu-${codename}-${release}-${arch}-server-${serial}`,
        };
      }
      const product = {
        aliases: `${release},${codename},${codename.charAt(0)}`,
        arch,
        os: 'ubuntu',
        release: codename,
        release_codename: `Codename ${n}`,
        release_title: title,
        support_eol: `20${year + 5}-05-31`,
        supported: n % 3 !== 0,
        version: release,
        versions,
      };
      const chunk = `${JSON.stringify(`com.ubuntu.cloud:server:${release}:${arch}`)}:${JSON.stringify(product)}`;
      chunks.push(chunk);
      bytes += chunk.length + 1;
    }
  }
  const head = `{"content_id":"com.ubuntu.cloud:released:download","datatype":"image-downloads","format":"products:1.0","updated":${JSON.stringify(FIXTURE_UPDATED)},"products":{`;
  return `${head}${chunks.join(',')}}}\n`;
}

function productName(product: FixtureProduct, daily: boolean): string {
  const stream = daily ? 'com.ubuntu.cloud.daily' : 'com.ubuntu.cloud';
  return `${stream}:server:${product.release}:${product.arch ?? 'amd64'}`;
}

function productJson(product: FixtureProduct, daily: boolean): Record<string, unknown> {
  const arch = product.arch ?? 'amd64';
  const versions: Record<string, unknown> = {};
  for (const version of product.versions) {
    const ftype = version.item ?? 'disk1.img';
    const item: Record<string, unknown> = { ftype, path: version.path, size: version.sizeBytes };
    if (version.sha256 !== '') {
      item['sha256'] = version.sha256;
      // A stable stand-in: tests never check md5, but real items always carry one.
      item['md5'] = version.sha256.slice(0, 32);
    }
    versions[version.serial] = {
      items: { [ftype]: item },
      label: daily ? 'daily' : 'release',
      pubname: `ubuntu-${product.codename}-${product.release}-${arch}-server-${version.serial}`,
    };
  }
  return {
    aliases: product.aliases.join(','),
    arch,
    os: product.os ?? 'ubuntu',
    release: product.codename,
    release_codename: product.codename.charAt(0).toUpperCase() + product.codename.slice(1),
    release_title: product.title,
    supported: product.supported ?? true,
    version: product.release,
    versions,
  };
}

/** mulberry32 (uint32 output): tiny, fast and good enough for fake checksums. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
