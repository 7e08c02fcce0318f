/** RFC 3986 percent-encoding as SigV4 wants it: everything but the unreserved characters. */
import { ConfigurationError } from '../errors.js';

const SUB_DELIMS_LEFT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g;

export function uriEncode(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    throw new ConfigurationError('ERR_INVALID_URL', 'request.url contains a lone UTF-16 surrogate, which has no UTF-8 form to sign.');
  }
  return encoded.replace(SUB_DELIMS_LEFT_BY_ENCODE_URI_COMPONENT, percentEncodeChar);
}

function percentEncodeChar(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}
