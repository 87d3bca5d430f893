// Secrets in a request target's query. Streams take their token as `?token=` (a browser cannot set headers
// on a WebSocket), and clients put keys in queries under a few common names. The stream's token check and
// the request log's redaction read a parameter's name the same way, percent-decoded as URLSearchParams (the
// WHATWG URL standard) reads it: `?tok%65n=` is `token` to both, so whatever the check could take as the
// token never reaches a log. (Accepting only the literal name would need a parser of our own and gain
// nothing: the secret is the value, and a client that encodes the name meant it as its token.)

/** The query parameter a stream's token comes in. */
export const STREAM_TOKEN_PARAM = 'token';

/** Names, as decoded and compared case-insensitively, whose values are never logged. */
const SECRET_NAMES = new Set([STREAM_TOKEN_PARAM, 'access_token', 'api_key', 'apikey', 'key', 'password']);

/** A query parameter's raw name as URLSearchParams reads it: percent-decoded, '+' a space. */
export function queryParamName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  return new URLSearchParams(`${raw}=`).keys().next().value ?? raw;
}

/** True when the value of the query parameter named `raw` (as sent) is a secret. */
export function isSecretParam(raw: string): boolean {
  return SECRET_NAMES.has(queryParamName(raw).toLowerCase());
}

/** Every `name=value` after a '?' or '&' (in the path and fragment too: redacting more is harmless). */
const PARAM = /([?&])([^=&#]*)=([^&#]*)/g;

/** `url` with the values of secret-bearing query parameters replaced by [redacted]. */
export function redactUrl(url: string): string {
  if (!url.includes('=')) return url;
  return url.replace(PARAM, (param, separator: string, name: string) =>
    isSecretParam(name) ? `${separator}${name}=[redacted]` : param,
  );
}
