/**
 * Browser origins allowed to call the API (CORS_ORIGINS, README "Use it from a browser").
 * A pattern is `[scheme://]host[:port]`:
 * - scheme `http` or `https`; without one, either matches;
 * - host a name, an IPv4 address or `[ipv6]`; `*.example.com` matches any subdomain of
 *   example.com at any depth, never example.com itself nor `example.com.evil.org`;
 * - port a number, or `*` for any port including none; without one, only the scheme's
 *   default port (an Origin that names no port) matches;
 * - `*` alone allows every origin (no credentials are ever allowed, so this is safe for a
 *   public API whose keys travel in headers).
 */
export interface OriginPattern {
  /** The pattern as written, for logs and errors. */
  readonly source: string;
  readonly anyOrigin: boolean;
  readonly scheme: 'http' | 'https' | null;
  /** Lower-case host; for a wildcard, the part after `*.`. */
  readonly host: string;
  readonly subdomains: boolean;
  /** A port number as text, `*` for any, null for the default port only. */
  readonly port: string | null;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const PATTERN = /^(?:(https?):\/\/)?(\*\.)?([^/:?#\s]+|\[[^\]\s]+\])(?::(\*|\d{1,5}))?$/;

/** Parses one pattern, or says what is wrong with it. */
export function parseOriginPattern(text: string): OriginPattern | { error: string } {
  const source = text.trim();
  if (source === '*') return { source, anyOrigin: true, scheme: null, host: '', subdomains: false, port: '*' };
  const lower = source.toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\/.*\/$/.test(lower)) return { error: `"${source}": an origin has no path (remove the trailing "/")` };
  const match = PATTERN.exec(lower);
  if (!match) return { error: `"${source}": expected [http(s)://]host[:port], e.g. https://app.example.com, *.example.com or localhost:*` };
  const [, scheme, wildcard, host, port] = match;
  if (!HOST_NAME.test(host) && !IPV6.test(host)) return { error: `"${source}": "${host}" is not a host name` };
  if (wildcard && (IPV6.test(host) || (!host.includes('.') && host !== 'localhost'))) {
    return { error: `"${source}": a wildcard needs a domain of at least two labels (*.example.com)` };
  }
  if (port && port !== '*' && (Number(port) < 1 || Number(port) > 65535)) return { error: `"${source}": port ${port} is out of range` };
  return {
    source,
    anyOrigin: false,
    scheme: (scheme as 'http' | 'https' | undefined) ?? null,
    host,
    subdomains: !!wildcard,
    port: port ?? null,
  };
}

/** A comma list of patterns (`none` = no origin at all), or every problem in it. */
export function parseOriginList(text: string): { patterns: OriginPattern[] } | { errors: string[] } {
  if (text.trim().toLowerCase() === 'none') return { patterns: [] };
  const patterns: OriginPattern[] = [];
  const errors: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const parsed = parseOriginPattern(part);
    if ('error' in parsed) errors.push(parsed.error);
    else patterns.push(Object.freeze(parsed));
  }
  return errors.length ? { errors } : { patterns };
}

/** Development's default: pages served from this machine on any port, and Apollo Studio's Sandbox. */
export const DEVELOPMENT_ORIGINS = 'localhost:*,127.0.0.1:*,https://studio.apollographql.com';

const ORIGIN = /^(https?):\/\/([^/:?#\s]+|\[[^\]\s]+\])(?::(\d{1,5}))?$/;

function matches(pattern: OriginPattern, scheme: string, host: string, port: string | undefined): boolean {
  if (pattern.anyOrigin) return true;
  if (pattern.scheme && pattern.scheme !== scheme) return false;
  if (pattern.port === null ? port !== undefined : pattern.port !== '*' && pattern.port !== port) return false;
  return pattern.subdomains ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}

/** Whether a browser's Origin header value is allowed by the patterns ("null" and malformed values never are). */
export function originAllowed(origin: string, patterns: readonly OriginPattern[]): boolean {
  const match = ORIGIN.exec(origin.toLowerCase());
  if (!match) return patterns.some((p) => p.anyOrigin);
  const [, scheme, host, port] = match;
  return patterns.some((pattern) => matches(pattern, scheme, host, port));
}

/**
 * Same-origin: the page was served by this server, so its Origin names the host the
 * request was sent to (the Host header). The scheme is not compared: behind a
 * TLS-terminating proxy the page is https while this server sees http.
 */
export function isSameOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const match = ORIGIN.exec(origin.toLowerCase());
  if (!match) return false;
  const [, scheme, host, port] = match;
  const defaultPort = scheme === 'https' ? '443' : '80';
  const [requestHost, requestPort] = splitHost(hostHeader.toLowerCase());
  return host === requestHost && (port ?? defaultPort) === (requestPort ?? defaultPort);
}

function splitHost(hostHeader: string): [string, string | undefined] {
  const match = /^([^:]+|\[[^\]]+\])(?::(\d+))?$/.exec(hostHeader);
  return match ? [match[1], match[2]] : [hostHeader, undefined];
}
