import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImportGraph, cyclicComponents, oneCycle, shown, sourceFiles, type ImportGraph } from './helpers/import-graph.js';

/**
 * The shape of the code, checked: the app's import graph (src/ and db/, which app.ts
 * imports for seeding) has no cycle, counting `import type` too, and the database layer
 * (src/db, db/) imports nothing of the layers that use it. Failures list the files of
 * each cycle, or each import that leaks.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const graph = buildImportGraph(sourceFiles([join(root, 'src'), join(root, 'db')]));

/**
 * The layers that use the database: it hands them rows and never imports them. Checked
 * on direct imports: shared leaves (config, errors, logger) may import what they like
 * without making db/ depend on a layer; loaders and use-cases are listed because they
 * are the usual way round (a db file mapping rows with a loader's mapper reaches the schema).
 */
const ABOVE_DB = ['src/schema/', 'src/resolvers/', 'src/context.ts', 'src/http/', 'src/loaders/', 'src/use-cases/'].map((path) =>
  join(root, path),
);
const DB_LAYER = ['src/db/', 'db/'].map((path) => join(root, path));

const isUnder = (prefixes: readonly string[]) => (file: string) => prefixes.some((prefix) => file === prefix || file.startsWith(prefix));

/** Each import of a database-layer file into a layer above it, as "importer → imported". */
function dbLeaks(of: ImportGraph): string[] {
  return [...of].flatMap(([file, edges]) =>
    isUnder(DB_LAYER)(file) ? edges.filter((edge) => isUnder(ABOVE_DB)(edge.to)).map((edge) => shown(root, [file, edge.to])) : [],
  );
}

function cycleReport(of: ImportGraph): string[] {
  return cyclicComponents(of).map(
    (component) => `cycle of ${component.length} files: ${shown(root, oneCycle(of, component))} (all: ${shown(root, component)})`,
  );
}

describe('import graph', () => {
  it('covers the app: every file is read and imports resolve', () => {
    // Guards the checks below against passing over an empty or unresolved graph.
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(join(root, 'src/app.ts'))?.length).toBeGreaterThan(20);
  });

  it('has no cycle, type-only imports included', () => {
    expect(cycleReport(graph)).toEqual([]);
  });

  it('keeps src/db and db/ from importing schema, resolvers, the request context, HTTP, loaders or use-cases', () => {
    expect(dbLeaks(graph)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  // Fixture files under the repository root, so shown() prints them like app files.
  const fixture = (sources: Record<string, string>): ImportGraph => {
    const files = Object.keys(sources).map((name) => join(root, name));
    return buildImportGraph(files, (file) => sources[file.slice(root.length)]);
  };

  it('reports a cycle that only a type import closes, with its files in import order', () => {
    const knot = fixture({
      'src/services.ts': "import type { Jobs } from './jobs/runtime.js';",
      'src/jobs/runtime.ts': "import { warm } from './warm.js';\nexport { type Jobs } from './warm.js';",
      'src/jobs/warm.ts': "import { createContext } from '../context.js';",
      'src/context.ts': "import type { Services } from './services.js';",
      'src/app.ts': "import { startJobs } from './jobs/runtime.js';",
    });
    expect(cycleReport(knot)).toEqual([
      'cycle of 4 files: src/context.ts → src/services.ts → src/jobs/runtime.ts → src/jobs/warm.ts → src/context.ts ' +
        '(all: src/context.ts → src/jobs/runtime.ts → src/jobs/warm.ts → src/services.ts)',
    ]);
  });

  it('reports a file importing itself, and nothing for a graph without cycles', () => {
    expect(cycleReport(fixture({ 'src/a.ts': "export * from './a.js';" }))).toHaveLength(1);
    expect(
      cycleReport(fixture({ 'src/a.ts': "import './b.js';", 'src/b.ts': "const c = await import('./c.js');", 'src/c.ts': '' })),
    ).toEqual([]);
  });

  it('reports each database-layer import of a layer above, type-only ones too', () => {
    const leaky = fixture({
      'src/db/lists/list-orders.ts':
        "import { toOrder } from '../../loaders/mappers.js';\nimport type { Order } from '../../schema/types/order.type.js';",
      'db/seed/seed.ts': "import { tables } from '../../src/db/tables.js';",
      'src/db/tables.ts': "import { config } from '../config.js';",
      'src/config.ts': "import { origins } from './http/origins.js';",
      'src/loaders/mappers.ts': "import type { Order } from '../schema/types/order.type.js';",
      'src/schema/types/order.type.ts': '',
      'src/http/origins.ts': '',
    });
    expect(dbLeaks(leaky)).toEqual([
      'src/db/lists/list-orders.ts → src/loaders/mappers.ts',
      'src/db/lists/list-orders.ts → src/schema/types/order.type.ts',
    ]);
  });
});
