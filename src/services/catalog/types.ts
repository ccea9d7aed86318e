/**
 * @module The data model of the image catalog, shared by the parser, the query rules, the store and the API.
 */

/** One bootable image version of one product, for the host architecture. */
export interface ImageInfo {
  /** The image id: the sha256 of the chosen item (as Multipass). */
  id: string;
  /** simplestreams product name, e.g. `com.ubuntu.cloud:server:24.04:amd64`. */
  product: string;
  /** e.g. `Ubuntu`. */
  os: string;
  /** Release version string, e.g. `24.04`. */
  release: string;
  /** Human release title, e.g. `24.04 LTS`. */
  releaseTitle: string;
  /** Codename, e.g. `noble`. */
  codename: string;
  /** The version (serial) key in the products file, e.g. `20251120` or `20251120.1`. */
  version: string;
  /** Aliases in products-file order; only the newest version of a product carries them. */
  aliases: string[];
  supported: boolean;
  /** simplestreams arch, e.g. `amd64`. */
  arch: string;
  /** Which item was chosen: `uefi1.img` is preferred over `disk1.img`. */
  item: string;
  /** Absolute download URL of the item. */
  url: string;
  sizeBytes: number;
  sha256: string;
}

/** The last good catalog of one remote, as kept in memory and on disk. */
export interface CatalogSnapshot {
  remote: string;
  /** Base URL of the remote, ending with `/`. */
  url: string;
  /** When this catalog was fetched (or last confirmed unchanged), ms since epoch. */
  fetchedAtMs: number;
  /** Validators of the products file, for conditional requests. */
  etag: string | null;
  lastModified: string | null;
  /** Absolute URL of the products file the images came from. */
  productsUrl: string;
  images: ImageInfo[];
}
