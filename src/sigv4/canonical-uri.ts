/**
 * Step 1, canonical URI, for every service but S3: the wire path with dot segments removed
 * and `//` collapsed (botocore's remove_dot_segments), then URI-encoded once more, so the
 * wire path `/a%20b` signs as `/a%2520b`.
 */
import { caches } from './caches.js';
import { uriEncode } from './uri-encode.js';

const PATH_SAFE = /^[A-Za-z0-9\-_.~/]*$/;

export function canonicalUri(path: string): string {
  // Paths that need re-encoding (`*`, `%`, non-ASCII ids) cost a regex pass or two; the same
  // path comes again on nearly every request of a client, so the last one is remembered.
  const last = caches.canonicalUri;
  if (last.path === path) return last.canonical;
  const canonical = uriEncodePath(removeDotSegments(path));
  caches.canonicalUri = { path, canonical };
  return canonical;
}

export function removeDotSegments(path: string): string {
  if (path === '') return '/';
  if (path.indexOf('//') === -1 && path.indexOf('/.') === -1 && path.charCodeAt(0) !== 46 /* . */) return path;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const first = path.charCodeAt(0) === 47 ? '/' : '';
  const last = path.charCodeAt(path.length - 1) === 47 && out.length > 0 ? '/' : '';
  return first + out.join('/') + last;
}

/** Every character but unreserved ones and `/` encoded. */
export function uriEncodePath(path: string): string {
  return PATH_SAFE.test(path) ? path : uriEncode(path).replace(/%2F/g, '/');
}
