import { request, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** A parsed JSON body, read by assertions down deep paths (errors[0].extensions.code). */
export type JsonBody = any;

export interface RawHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they travelled (compressed when content-encoding says so). */
  raw: Buffer;
  /** The body decoded by its content-encoding, as text. */
  text: string;
  json(): JsonBody;
}

/**
 * One HTTP request with exactly the given method and headers (Origin, preflight headers,
 * Accept-Encoding included: fetch would add or decode some of them), over node:http.
 */
export function rawHttp(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawHttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        // A 304 or HEAD answer names the encoding of a body it does not carry: nothing to decode.
        const encoding = raw.length === 0 ? undefined : res.headers['content-encoding'];
        const decoded = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'br' ? brotliDecompressSync(raw) : raw;
        const text = decoded.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text, json: (): JsonBody => JSON.parse(text) as JsonBody });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Every header whose name starts with access-control-. */
export function corsHeadersOf(response: RawHttpResponse): Record<string, unknown> {
  return Object.fromEntries(Object.entries(response.headers).filter(([name]) => name.startsWith('access-control-')));
}
