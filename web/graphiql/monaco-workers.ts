import type { PageConfig } from './page-config.js';

/**
 * Monaco asks for a worker per language service by label. Ours are bundled next to the
 * page (never fetched from a CDN, unlike graphiql's esm.sh setup) and named in the page
 * config because their file names carry content hashes.
 */
export function installMonacoWorkers(workers: PageConfig['workers']): void {
  (globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
    getWorker(_workerId: string, label: string): Worker {
      const script = label === 'json' ? workers.json : label === 'graphql' ? workers.graphql : workers.editor;
      return new Worker(new URL(script, document.baseURI), { name: `monaco-${label}` });
    },
  };
}
