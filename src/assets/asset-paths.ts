import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: bundle specs name their sources relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where built bundles are kept between starts: node_modules/.cache, the usual home of
 * build caches (npm ci clears it, so a fresh install rebuilds). A read-only
 * node_modules falls back to the second directory.
 */
export function cacheRootCandidates(root: string = PROJECT_ROOT): string[] {
  return [join(root, 'node_modules', '.cache', 'graphpulse-assets'), join(tmpdir(), `graphpulse-assets-${userInfo().uid}`)];
}
