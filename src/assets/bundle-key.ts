import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleSpec } from './bundle-spec.js';

/** This directory: the pipeline's own code (options, naming, compression) is an input of every build. */
const PIPELINE_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The lock file pins every dependency a bundle can pull from node_modules. */
const DEPENDENCY_PINS = ['package-lock.json', 'package.json'];

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The cache key of a bundle: a hash of the pipeline's code, esbuild's version, the spec, the
 * dependency lock file and the content of each of the bundle's own source files (the
 * project files a previous build read, as its metafile listed them). A changed source
 * changes the key; so does a new import, because the file that gained it changed. Null
 * when a listed source is gone (the bundle must be rebuilt to know its inputs).
 */
export async function bundleKey(
  spec: BundleSpec,
  localInputs: readonly string[],
  root: string,
  esbuildVersion: string,
): Promise<string | null> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ esbuild: esbuildVersion, spec }));
  for (const file of (await readdir(PIPELINE_DIR)).sort()) {
    if (/\.[cm]?[jt]s$/.test(file)) hash.update(`\0pipeline/${file}\0`).update(await readFile(join(PIPELINE_DIR, file)));
  }
  for (const pin of DEPENDENCY_PINS) {
    const content = await readOptional(join(root, pin));
    if (content) {
      hash.update(`\0${pin}\0`).update(content);
      break;
    }
  }
  for (const input of [...localInputs].sort()) {
    const content = await readOptional(join(root, input));
    if (content === null) return null;
    hash.update(`\0${input}\0`).update(content);
  }
  return hash.digest('hex').slice(0, 24);
}
