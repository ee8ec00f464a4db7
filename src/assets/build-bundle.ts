import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { PROJECT_ROOT } from './asset-paths.js';
import {
  cachedBuild,
  MANIFEST,
  newBuildDir,
  publishBuild,
  pruneOldBuilds,
  readInputs,
  writableCacheRoot,
  writeInputs,
} from './bundle-cache.js';
import { bundleKey } from './bundle-key.js';
import { BUNDLE_NAME, type BuiltBundle, type BundleSpec } from './bundle-spec.js';
import { esbuildVersion, runEsbuild } from './esbuild-run.js';
import { indexAndPrecompress } from './precompress.js';

export interface BuildOptions {
  logger: Logger;
  /** Repository root the spec's paths are relative to. */
  root?: string;
  /** Parent of every bundle's cache directory; default node_modules/.cache/graphpulse-assets. */
  cacheRoot?: string;
  /** Aborting cancels a build in progress (shutdown while building). */
  signal?: AbortSignal;
}

interface Location {
  root: string;
  bundleDir: string;
}

async function locate(spec: BundleSpec, options: BuildOptions): Promise<Location> {
  if (!BUNDLE_NAME.test(spec.name)) throw new Error(`bundle name "${spec.name}" must match ${BUNDLE_NAME}`);
  const root = options.root ?? PROJECT_ROOT;
  const bundleDir = join(options.cacheRoot ?? (await writableCacheRoot(options.logger, root)), spec.name);
  await mkdir(bundleDir, { recursive: true });
  return { root, bundleDir };
}

async function lookUp({ root, bundleDir }: Location, spec: BundleSpec): Promise<BuiltBundle | null> {
  const knownInputs = await readInputs(bundleDir);
  return knownInputs && cachedBuild(bundleDir, await bundleKey(spec, knownInputs, root, esbuildVersion));
}

/** The cached build of a bundle whose inputs are unchanged, or null: reads a few files, builds nothing. */
export async function findCachedBundle(spec: BundleSpec, options: BuildOptions): Promise<BuiltBundle | null> {
  return lookUp(await locate(spec, options), spec);
}

/**
 * Builds a bundle with esbuild into the cache, or finds it there: the key hashes every
 * input (see bundleKey), so a start with unchanged sources and dependencies reuses the
 * last build and the first start after a change rebuilds. Several processes may build at
 * once: each writes a directory of its own and renames it into place, first one wins.
 */
export async function buildBundle(spec: BundleSpec, options: BuildOptions): Promise<BuiltBundle & { fromCache: boolean }> {
  const { logger, signal } = options;
  const location = await locate(spec, options);
  const cached = await lookUp(location, spec);
  if (cached) return { ...cached, fromCache: true };

  const { root, bundleDir } = location;
  const startedAt = Date.now();
  const buildDir = newBuildDir(bundleDir);
  try {
    const { entries, workers, localInputs } = await runEsbuild(spec, { root, outdir: buildDir, signal, logger });
    const key = await bundleKey(spec, localInputs, root, esbuildVersion);
    if (key === null) throw new Error(`bundle ${spec.name}: a source went away during the build; start again`);
    const files = await indexAndPrecompress(buildDir, (path) => path === MANIFEST);
    signal?.throwIfAborted();
    const published = await publishBuild(bundleDir, buildDir, { name: spec.name, key, entries, workers, files });
    if (published.fromCache) return published;
    await writeInputs(bundleDir, localInputs);
    await pruneOldBuilds(bundleDir, key, logger);
    logger.info({ bundle: spec.name, key, files: files.length, ms: Date.now() - startedAt }, 'asset bundle built');
    return published;
  } finally {
    // Gone already when published; our copy when another process published first or the build failed.
    await rm(buildDir, { recursive: true, force: true });
  }
}
