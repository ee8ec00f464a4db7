import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';

/** The repository root: bundle specs name their sources relative to it. */
export { PROJECT_ROOT };

/**
 * Where built bundles are kept between starts: node_modules/.cache, the usual home of
 * build caches (npm ci clears it, so a fresh install rebuilds). A read-only
 * node_modules falls back to the second directory.
 */
export function cacheRootCandidates(root: string = PROJECT_ROOT): string[] {
  return [join(root, 'node_modules', '.cache', 'graphpulse-assets'), join(tmpdir(), `graphpulse-assets-${userInfo().uid}`)];
}
