/**
 * The path a request goes to under the target's path prefix. A prefix is a boundary
 * (`--target https://host/logs-app` must not reach `/_cluster/settings`), and AWS and the
 * signer both remove dot segments, so any `..` segment, written or percent-encoded, with
 * `/`, `\\` or their escapes as separators, is refused rather than resolved.
 *
 * A raw `#` is not valid in a request-target (RFC 9112 origin-form), yet Node accepts it:
 * the signer and the `..` check would stop at it while the whole target goes upstream
 * (`/logs-app/a#/../../_cluster`), so it is refused too, prefix or not.
 */
export type PathRefusal = { status: 400; message: string };

/** The path and query of a request-target; absolute-form (a tool using us as an HTTP proxy) is cut to it, its userinfo with it. */
export function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const rest = m ? target.slice(m[0].length) : target;
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest.startsWith('/') ? rest : `/${rest}`;
}

export function underPrefix(prefix: string, path: string): { pathAndQuery: string } | PathRefusal {
  if (path.includes('#')) {
    return {
      status: 400,
      message: 'aws-sigv4-connection proxy: the request-target has a raw "#", which HTTP does not allow in it (a fragment stays in the client); percent-encode it as %23.',
    };
  }
  if (prefix !== '' && escapes(path)) {
    return {
      status: 400,
      message: `aws-sigv4-connection proxy: the path has a ".." segment, which would leave the target's path prefix ${prefix}; requests stay under it.`,
    };
  }
  return { pathAndQuery: prefix + path };
}

function escapes(path: string): boolean {
  const end = path.indexOf('?');
  const decoded = (end < 0 ? path : path.slice(0, end)).replace(/%2e/gi, '.').replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  return decoded.split(/[/\\]/).some((segment) => segment === '..');
}
