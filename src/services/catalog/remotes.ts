/**
 * @module Which remotes exist and where they live: Ubuntu's release and daily streams, or a mirror's.
 */
import { SkiffError } from '../../core/errors.js';

export interface RemoteSpec {
  name: string;
  /** Base URL ending with `/`. */
  url: string;
}

export const UBUNTU_RELEASE_URL = 'https://cloud-images.ubuntu.com/releases/';
export const UBUNTU_DAILY_URL = 'https://cloud-images.ubuntu.com/daily/';

/** The remotes in lookup order. A non-empty `mirror` base URL replaces the Ubuntu host for both. */
export function remoteSpecs(mirror: string): RemoteSpec[] {
  if (mirror === '') {
    return [
      { name: 'release', url: UBUNTU_RELEASE_URL },
      { name: 'daily', url: UBUNTU_DAILY_URL },
    ];
  }
  const base = normaliseMirror(mirror);
  return [
    { name: 'release', url: `${base}releases/` },
    { name: 'daily', url: `${base}daily/` },
  ];
}

/**
 * Checks a `local.image.mirror` value and returns it with a trailing slash.
 * http is accepted (unlike Multipass) because local and air-gapped mirrors are usually plain http.
 * @throws SkiffError('invalid-argument') for anything but an absolute http(s) URL without query or fragment.
 */
export function normaliseMirror(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SkiffError(
      'invalid-argument',
      `local.image.mirror: "${value}" is not a URL (expected e.g. https://mirror.example/ubuntu/)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SkiffError(
      'invalid-argument',
      `local.image.mirror: scheme must be http or https, got "${url.protocol}"`,
    );
  }
  if (url.search || url.hash) {
    throw new SkiffError('invalid-argument', 'local.image.mirror: the URL must not have a query or fragment');
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
