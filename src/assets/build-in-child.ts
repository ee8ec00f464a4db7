import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findCachedBundle, type BuildOptions } from './build-bundle.js';
import type { BuiltBundle, BundleSpec } from './bundle-spec.js';

/** This module's own kind: compiled (.js, `npm start`) or TypeScript under tsx (tests, tools). */
const COMPILED = import.meta.url.endsWith('.js');
const CLI = fileURLToPath(new URL(COMPILED ? './build-cli.js' : './build-cli.ts', import.meta.url));
/** TypeScript needs the loader the tests and tools run under; the compiled tree needs none. */
const LOADER_ARGS = COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];

/**
 * A bundle for a long-running server: from the cache when its inputs are unchanged (read
 * here, in a few milliseconds), otherwise built by a child process (build-cli.ts). The
 * build's transient memory — esbuild's metafile, compression buffers, some 50 MB — then
 * never counts in the server's RSS. Aborting `signal` kills the child.
 */
export async function bundleForServer(spec: BundleSpec, options: BuildOptions): Promise<BuiltBundle & { fromCache: boolean }> {
  const cached = await findCachedBundle(spec, options);
  if (cached) return { ...cached, fromCache: true };
  options.signal?.throwIfAborted();
  const child = spawn(process.execPath, [...LOADER_ARGS, CLI, JSON.stringify(spec), options.root ?? '', options.cacheRoot ?? ''], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, LOG_LEVEL: options.logger.level },
  });
  const kill = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', kill, { once: true });
  try {
    return await new Promise((resolve, reject) => {
      let built: (BuiltBundle & { fromCache: boolean }) | null = null;
      child.on('message', (message: { built?: BuiltBundle & { fromCache: boolean } }) => (built = message.built ?? null));
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (built) resolve(built);
        else if (options.signal?.aborted)
          reject(new Error(`building asset bundle ${spec.name} was cancelled`, { cause: options.signal.reason }));
        // The child logged why (its log lines are ours).
        else reject(new Error(`building asset bundle ${spec.name} failed (build process exited with ${signal ?? `code ${code}`})`));
      });
    });
  } finally {
    options.signal?.removeEventListener('abort', kill);
  }
}
