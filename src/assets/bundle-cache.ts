import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { cacheRootCandidates } from './asset-paths.js';
import type { BuiltBundle, BundleManifest } from './bundle-spec.js';

/**
 * The on-disk layout of built bundles: `<cache root>/<bundle name>/<key>/` holds one
 * build (its files and manifest.json), `<bundle name>/inputs.json` the project files the
 * latest build read, and `.build-*` directories builds in progress.
 */
export const MANIFEST = 'manifest.json';
const INPUTS = 'inputs.json';
/** Older builds kept per bundle, for processes still serving them. */
const KEEP_OLD_BUILDS = 2;
/** A build directory this old was left by a process that died while building. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Written whole or not at all: readers in other processes never see half a file. */
async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, JSON.stringify(value, null, 1));
  await rename(temporary, path);
}

/** The first candidate cache root we can write to. */
export async function writableCacheRoot(logger: Logger, root: string): Promise<string> {
  const [preferred, fallback] = cacheRootCandidates(root);
  try {
    await mkdir(preferred, { recursive: true });
    return preferred;
  } catch (error) {
    logger.warn({ err: error, fallback }, 'asset cache directory is not writable; using the fallback');
    await mkdir(fallback, { recursive: true });
    return fallback;
  }
}

/** The project files the latest build of this bundle read, or null before any build. */
export const readInputs = (bundleDir: string) => readJson<string[]>(join(bundleDir, INPUTS));

export const writeInputs = (bundleDir: string, inputs: string[]) => writeJsonAtomically(join(bundleDir, INPUTS), inputs);

/** A complete build in the cache under `key`, if any. */
export async function cachedBuild(bundleDir: string, key: string | null): Promise<BuiltBundle | null> {
  if (key === null) return null;
  const dir = join(bundleDir, key);
  const manifest = await readJson<BundleManifest>(join(dir, MANIFEST));
  return manifest ? { manifest, dir } : null;
}

/** A fresh directory for a build in progress, renamed into place by publishBuild. */
export const newBuildDir = (bundleDir: string) => join(bundleDir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);

/**
 * Moves a finished build to `<bundleDir>/<key>`. When another process published the same
 * key first (identical inputs), its copy is returned instead and ours is left to the caller to remove.
 */
export async function publishBuild(
  bundleDir: string,
  buildDir: string,
  manifest: BundleManifest,
): Promise<BuiltBundle & { fromCache: boolean }> {
  await writeFile(join(buildDir, MANIFEST), JSON.stringify(manifest, null, 1));
  const dir = join(bundleDir, manifest.key);
  try {
    await rename(buildDir, dir);
    return { manifest, dir, fromCache: false };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    const theirs = await cachedBuild(bundleDir, manifest.key);
    if (!theirs) throw error;
    return { ...theirs, fromCache: true };
  }
}

/** Removes builds of this bundle other than the newest few (by time of writing), and abandoned partial builds. */
export async function pruneOldBuilds(bundleDir: string, current: string, logger: Logger): Promise<void> {
  const builds: Array<{ name: string; mtimeMs: number }> = [];
  for (const entry of await readdir(bundleDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === current) continue;
    // Another process may rename or remove one meanwhile (its own build finishing).
    const mtimeMs = await stat(join(bundleDir, entry.name)).then(
      (s) => s.mtimeMs,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      },
    );
    if (mtimeMs === null) continue;
    if (!entry.name.startsWith('.')) builds.push({ name: entry.name, mtimeMs });
    else if (Date.now() - mtimeMs > ABANDONED_AFTER_MS) await rm(join(bundleDir, entry.name), { recursive: true, force: true });
  }
  builds.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(KEEP_OLD_BUILDS)) {
    await rm(join(bundleDir, old.name), { recursive: true, force: true });
    logger.debug({ bundle: old.name }, 'old asset build removed');
  }
}
