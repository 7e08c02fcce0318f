/**
 * The path a request goes to under the target's path prefix. A prefix is a boundary
 * (`--target https://host/logs-app` must not reach `/_cluster/settings`), and AWS and the
 * signer both remove dot segments, so any `..` segment, written or percent-encoded (once or
 * more, or in a form some decoder reads as dots), with `/`, `\\` or their escapes as
 * separators, or followed by `;` parameters, is refused rather than resolved (see escapes).
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

// What a server behind the prefix may read as ".", "/" and "\\": the escapes, and the overlong
// UTF-8 and fullwidth forms that lenient decoders (or NFKC) turn into them.
const DOT = /%2e|%c0%ae|%e0%80%ae|%ef%bc%8e/gi;
const SLASH = /%2f|%c0%af|%e0%80%af|%ef%bc%8f/gi;
const BACKSLASH = /%5c|%c1%9c|%ef%bc%bc/gi;
/** How many times `%25` is undone: a target may decode twice (an API Gateway integration that decodes a `{proxy+}` value and forwards it). */
const DECODES = 3;

/**
 * True when a server behind the prefix could read the path as leaving it: a `..` segment once
 * the escapes above are undone (after `%25` is, up to DECODES times), a segment's `;` path
 * parameters dropped as servlet containers drop them (`..;x` is `..` to Tomcat or Jetty).
 */
function escapes(path: string): boolean {
  const end = path.indexOf('?');
  let p = end < 0 ? path : path.slice(0, end);
  for (let i = 0; i < DECODES && /%25/i.test(p); i++) p = p.replace(/%25/gi, '%');
  const decoded = p.replace(DOT, '.').replace(SLASH, '/').replace(BACKSLASH, '\\').replace(/%3b/gi, ';');
  return decoded.split(/[/\\]/).some((segment) => segment.split(';', 1)[0] === '..');
}
