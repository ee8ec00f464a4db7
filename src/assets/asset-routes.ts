import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../logger.js';
import { chooseEncoding } from '../http/accept-encoding.js';
import type { BuiltBundle, BuiltFile } from './bundle-spec.js';
import { clientHasCurrent } from '../http/conditional-request.js';
import { contentTypeOf } from './content-types.js';

/** Every served name carries a content hash: a changed file gets a new URL, so a copy never goes stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SUFFIX = { br: '.br', gzip: '.gz' } as const;

interface Served {
  dir: string;
  files: Map<string, BuiltFile>;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/**
 * Serves built bundles under `<prefix><bundle name>/<file>` from disk (streamed: memory
 * stays flat whatever the bundle size): precompressed brotli or gzip when accepted,
 * immutable caching, strong ETags and 304. Only files a build's manifest lists are
 * served, so no request path reaches the file system unchecked.
 */
export class AssetRoutes {
  private readonly bundles = new Map<string, Served>();

  constructor(
    private readonly logger: Logger,
    /** URL path under which bundles are served, with both slashes. */
    readonly prefix = '/assets/',
  ) {}

  add(bundle: BuiltBundle): void {
    this.bundles.set(bundle.manifest.name, { dir: bundle.dir, files: new Map(bundle.manifest.files.map((file) => [file.path, file])) });
  }

  /** The URL path of a bundle's file, e.g. for a page's <script src>. */
  urlOf(bundleName: string, path: string): string {
    return `${this.prefix}${bundleName}/${path}`;
  }

  readonly handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    const rest = url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) : '';
    const slash = rest.indexOf('/');
    const served = slash > 0 ? this.bundles.get(rest.slice(0, slash)) : undefined;
    const file = served?.files.get(rest.slice(slash + 1));
    if (!served || !file) {
      sendText(res, 404, `No asset ${url.pathname}`);
      return;
    }
    const encoding = chooseEncoding(req.headers['accept-encoding'], file.encodings);
    // Each representation has its own strong ETag (RFC 9110 §8.8.3).
    const etag = encoding ? `${file.etag.slice(0, -1)}-${encoding}"` : file.etag;
    const headers: Record<string, string> = {
      'cache-control': IMMUTABLE,
      etag,
      'x-content-type-options': 'nosniff',
      // Pages from other origins (a test page, a dashboard elsewhere) may load these too.
      'cross-origin-resource-policy': 'cross-origin',
      ...(file.encodings.length ? { vary: 'Accept-Encoding' } : {}),
    };
    if (clientHasCurrent(req, etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const path = join(served.dir, file.path) + (encoding ? SUFFIX[encoding] : '');
    const stream = createReadStream(path);
    // Opened before the headers go out: a file gone from the cache is a 500 with a log line, not a cut body.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    res.writeHead(200, {
      ...headers,
      'content-type': contentTypeOf(file.path),
      ...(encoding ? { 'content-encoding': encoding } : { 'content-length': String(file.bytes) }),
    });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(stream, res);
    } catch (error) {
      // The client went away mid-body: nothing left to answer.
      if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.debug({ path: url.pathname }, 'asset download aborted by the client');
        return;
      }
      throw error;
    }
  };
}
