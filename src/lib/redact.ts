/**
 * Keeps signed URLs and credentials out of every message: a presigned URL in an error would put
 * a working read grant into the ledger, the report and logs. The object key (the URL's path)
 * stays, so the message still names the file.
 */

/** A URL query string that carries a signature or a credential (SigV4 presigned, or SigV2). */
const SIGNED_QUERY = /\?[^\s'"`()<>]*(?:X-Amz-|Signature=|AWSAccessKeyId=|Credential=)[^\s'"`()<>]*/gi;
/** A signature or credential outside a URL, e.g. an Authorization header in a dump. */
const LOOSE_SECRET = /\b(?:X-Amz-)?(?:Signature|Credential|Security-Token)=[^\s&,'"`]+/gi;
/** The password of a URL's user info: scheme://user:password@host. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]+@/gi;

export const REDACTED_QUERY = '?(signed query redacted)';

export function redactSecrets(text: string): string {
  return text
    .replace(SIGNED_QUERY, (query) => (query.endsWith(':') ? `${REDACTED_QUERY}:` : REDACTED_QUERY))
    .replace(LOOSE_SECRET, '(credential redacted)')
    .replace(URL_PASSWORD, '$1***@');
}

/** The error with its message redacted in place (its class, code and cause kept), for errors passed on as they are. */
export function redactError<T>(error: T): T {
  if (error instanceof Error) {
    const clean = redactSecrets(error.message);
    if (clean !== error.message) error.message = clean;
    if (error.stack) error.stack = redactSecrets(error.stack);
    // The cause is the client's own error, which a log or a serializer may print too.
    if (error.cause instanceof Error && error.cause !== error) redactError(error.cause);
  }
  return error;
}
