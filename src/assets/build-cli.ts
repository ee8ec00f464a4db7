import { createLogger } from '../logger.js';
import { buildBundle } from './build-bundle.js';
import type { BundleSpec } from './bundle-spec.js';

/**
 * One bundle build in a process of its own (src/assets/build-in-child.ts starts it):
 * `node --import tsx src/assets/build-cli.ts '<spec JSON>' '<root>' '<cacheRoot>'` (empty: defaults).
 * The result goes back over the IPC channel; log lines go to stdout like the parent's.
 * SIGTERM (the server stopping) cancels the build and removes its partial output.
 */
const [specJson, root, cacheRoot] = process.argv.slice(2);
const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
if (!specJson || !process.send) {
  logger.fatal('usage: started by build-in-child.ts with a bundle spec (JSON) and an IPC channel');
  process.exit(2);
}
const send = process.send.bind(process);
const cancel = new AbortController();
process.once('SIGTERM', () => cancel.abort());
try {
  const built = await buildBundle(JSON.parse(specJson) as BundleSpec, {
    logger,
    root: root || undefined,
    cacheRoot: cacheRoot || undefined,
    signal: cancel.signal,
  });
  send({ built }, () => process.exit(0));
} catch (error) {
  if (cancel.signal.aborted) logger.debug('asset bundle build cancelled');
  else logger.error({ err: error }, 'asset bundle build failed');
  process.exit(1);
}
