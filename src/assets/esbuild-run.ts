import { relative, resolve, sep } from 'node:path';
import * as esbuild from 'esbuild';
import type { Logger } from '../logger.js';
import type { BuiltEntry, BundleSpec } from './bundle-spec.js';

/** Fonts and images that stylesheets reference become files of their own, served like the rest. */
const FILE_LOADERS: Record<string, esbuild.Loader> = Object.fromEntries(
  ['.woff', '.woff2', '.ttf', '.eot', '.otf', '.svg', '.png', '.jpg', '.jpeg', '.gif', '.webp'].map((ext) => [ext, 'file']),
);

function commonOptions(spec: BundleSpec, root: string, outdir: string): esbuild.BuildOptions {
  return {
    absWorkingDir: root,
    outdir,
    bundle: true,
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    charset: 'utf8',
    jsx: 'automatic',
    // Licences of minified code stay with it, in <file>.LEGAL.txt.
    legalComments: 'linked',
    metafile: true,
    logLevel: 'silent',
    loader: FILE_LOADERS,
    assetNames: 'files/[name]-[hash]',
    define: { 'process.env.NODE_ENV': '"production"', ...spec.define },
  };
}

/** esbuild's child process is shared by the builds of this process and stopped when the last one ends. */
let buildsRunning = 0;

async function withEsbuild<T>(work: () => Promise<T>): Promise<T> {
  buildsRunning += 1;
  try {
    return await work();
  } finally {
    buildsRunning -= 1;
    // Idle, it would keep the memory of the last build in a process of its own.
    if (buildsRunning === 0) await esbuild.stop();
  }
}

/** One esbuild run, cancelled when `signal` aborts. Errors reject; warnings (dependencies' own) are logged at debug. */
async function runBuild(options: esbuild.BuildOptions, signal: AbortSignal | undefined, logger: Logger): Promise<esbuild.Metafile> {
  signal?.throwIfAborted();
  const context = await esbuild.context(options);
  const cancel = () => void context.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const result = await context.rebuild();
    signal?.throwIfAborted();
    if (result.warnings.length) {
      logger.debug({ warnings: result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`) }, 'esbuild warnings');
    }
    return result.metafile!;
  } finally {
    signal?.removeEventListener('abort', cancel);
    await context.dispose();
  }
}

/** Project files (not dependencies, not esbuild's virtual modules) among a build's inputs. */
function localInputsOf(metafiles: esbuild.Metafile[]): string[] {
  const inputs = new Set<string>();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      if (!input.includes(':') && !input.startsWith('<') && !input.split('/').includes('node_modules')) inputs.add(input);
    }
  }
  return [...inputs].sort();
}

const slashed = (path: string) => path.split(sep).join('/');

/** The script each named entry point became, with its metafile record, as paths inside the bundle. */
function outputsByName(
  sources: Readonly<Record<string, string>>,
  metafile: esbuild.Metafile,
  root: string,
  outdir: string,
): Map<string, { script: string; cssBundle?: string }> {
  const inBundle = (output: string) => slashed(relative(outdir, resolve(root, output)));
  const nameBySource = new Map(Object.entries(sources).map(([name, source]) => [slashed(relative(root, resolve(root, source))), name]));
  const outputs = new Map<string, { script: string; cssBundle?: string }>();
  for (const [output, meta] of Object.entries(metafile.outputs)) {
    const name = meta.entryPoint ? nameBySource.get(meta.entryPoint) : undefined;
    if (name && output.endsWith('.js'))
      outputs.set(name, { script: inBundle(output), cssBundle: meta.cssBundle && inBundle(meta.cssBundle) });
  }
  return outputs;
}

export interface EsbuildOutput {
  entries: Record<string, BuiltEntry>;
  workers: Record<string, string>;
  /** Project files the build read (relative to the root): what the cache key hashes. */
  localInputs: string[];
}

/**
 * Runs esbuild for a spec into `outdir`: the page entries as code-split ES modules (each
 * with the stylesheet of the CSS it imports), then each worker as a classic script of its
 * own (a worker cannot load the pages' shared chunks). Every output name carries a
 * content hash.
 */
export async function runEsbuild(
  spec: BundleSpec,
  { root, outdir, signal, logger }: { root: string; outdir: string; signal?: AbortSignal; logger: Logger },
): Promise<EsbuildOutput> {
  return withEsbuild(async () => {
    const common = commonOptions(spec, root, outdir);
    const pages = await runBuild(
      {
        ...common,
        entryPoints: { ...spec.entries },
        format: 'esm',
        splitting: true,
        entryNames: '[name]-[hash]',
        chunkNames: 'chunks/[name]-[hash]',
      },
      signal,
      logger,
    );
    const workerSources = spec.workers ?? {};
    const workers = Object.keys(workerSources).length
      ? await runBuild(
          { ...common, entryPoints: { ...workerSources }, format: 'iife', entryNames: 'workers/[name]-[hash]' },
          signal,
          logger,
        )
      : null;
    return {
      entries: Object.fromEntries(
        [...outputsByName(spec.entries, pages, root, outdir)].map(([name, { script, cssBundle }]) => [
          name,
          { script, styles: cssBundle ? [cssBundle] : [] },
        ]),
      ),
      workers: workers
        ? Object.fromEntries([...outputsByName(workerSources, workers, root, outdir)].map(([name, { script }]) => [name, script]))
        : {},
      localInputs: localInputsOf(workers ? [pages, workers] : [pages]),
    };
  });
}

export const esbuildVersion = esbuild.version;
