/**
 * What the asset pipeline builds: named entry points (paths relative to the project root)
 * turned into hashed files served under `/assets/<name>/`. Any page (the GraphiQL landing
 * page, a test page, a later dashboard) describes itself with one of these.
 */
export interface BundleSpec {
  /** URL segment and cache directory name: [a-z0-9-]. */
  readonly name: string;
  /**
   * Page entry points, name → source file: ES modules, code-split (lazy imports become
   * chunks); the CSS an entry imports becomes its stylesheet.
   */
  readonly entries: Readonly<Record<string, string>>;
  /** Web Worker entry points, name → source file: each one a self-contained classic script. */
  readonly workers?: Readonly<Record<string, string>>;
  /** Compile-time constants (esbuild `define`), e.g. { 'process.env.NODE_ENV': '"production"' }. */
  readonly define?: Readonly<Record<string, string>>;
}

/** One entry's files, as paths relative to the bundle's base URL. */
export interface BuiltEntry {
  readonly script: string;
  readonly styles: readonly string[];
}

/** A file of a built bundle, as served. */
export interface BuiltFile {
  /** Path relative to the bundle's directory and base URL, '/'-separated. */
  readonly path: string;
  readonly bytes: number;
  /** Strong ETag of the identity bytes (quoted). */
  readonly etag: string;
  /** Precompressed siblings on disk (`<path>.br`, `<path>.gz`). */
  readonly encodings: readonly ('br' | 'gzip')[];
}

/** What a build leaves next to its files (manifest.json) and what serving reads. */
export interface BundleManifest {
  readonly name: string;
  /** Hash of every input (sources, dependency lock, build options): the cache key. */
  readonly key: string;
  readonly entries: Readonly<Record<string, BuiltEntry>>;
  readonly workers: Readonly<Record<string, string>>;
  readonly files: readonly BuiltFile[];
}

/** A bundle ready to serve: its manifest and the directory its files are in. */
export interface BuiltBundle {
  readonly manifest: BundleManifest;
  readonly dir: string;
}

export const BUNDLE_NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;
