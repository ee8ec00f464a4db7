import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The import graph of the app's own files, read with the TypeScript parser (no type
 * checking, so it is quick). Every import counts as an edge, `import type` included: a
 * type-only cycle costs nothing at run time, but it still ties the files into one knot
 * that cannot be understood or moved apart.
 */

export interface ImportEdge {
  /** Absolute path of the imported file. */
  to: string;
  typeOnly: boolean;
}

/** File (absolute path) → the app files it imports. */
export type ImportGraph = Map<string, ImportEdge[]>;

const SOURCE = /\.(ts|tsx|mts|cts)$/;

/** Every TypeScript source under `dirs` (declaration files excepted: they import nothing of ours). */
export function sourceFiles(dirs: readonly string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return SOURCE.test(name) && !/\.d\.[mc]?ts$/.test(name) ? [path] : [];
    });
  return dirs
    .filter((dir) => existsSync(dir))
    .flatMap(walk)
    .sort();
}

/** What a relative specifier names, as NodeNext resolution finds it ('./x.js' is './x.ts' on disk); null when not one of `known`. */
function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | null {
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(js|jsx|mjs|cjs)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`, join(base, 'index.ts')];
  return candidates.find((candidate) => known.has(candidate)) ?? null;
}

/** Whether an import declaration brings in types only (`import type`, or every named binding marked `type`). */
function importIsTypeOnly(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './x.js'`: run for its effects
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    !clause.name &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

/** The relative specifiers a file imports, with whether each brings in types only. */
export function importsOf(fileName: string, text: string): Array<{ specifier: string; typeOnly: boolean }> {
  const found: Array<{ specifier: string; typeOnly: boolean }> = [];
  const note = (specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (specifier && ts.isStringLiteralLike(specifier) && specifier.text.startsWith('.'))
      found.push({ specifier: specifier.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) note(node.moduleSpecifier, importIsTypeOnly(node));
    else if (ts.isExportDeclaration(node)) note(node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      note(node.moduleReference.expression, node.isTypeOnly);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) note(node.argument.literal, true);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) note(node.arguments[0], false);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true));
  return found;
}

/** The graph of `files`; `read` gives a file's text (the disk by default, fixtures in the detector's own test). */
export function buildImportGraph(
  files: readonly string[],
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): ImportGraph {
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const edges: ImportEdge[] = [];
    for (const { specifier, typeOnly } of importsOf(file, read(file))) {
      const to = resolveSpecifier(file, specifier, known);
      if (to) edges.push({ to, typeOnly });
    }
    graph.set(file, edges);
  }
  return graph;
}

/** The strongly connected components with more than one file, or one file importing itself (Tarjan). Each is a knot of cycles. */
export function cyclicComponents(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const connect = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const { to } of graph.get(file) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    const selfImport = (graph.get(file) ?? []).some((edge) => edge.to === file);
    if (component.length > 1 || selfImport) components.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) connect(file);
  return components;
}

/** One cycle through a component's first file, as the files in import order (the first repeated at the end). */
export function oneCycle(graph: ImportGraph, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = component[0];
  // Breadth-first from start's imports back to start, within the component: the shortest such cycle.
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const { to } of graph.get(file) ?? []) {
      if (!members.has(to) || cameFrom.has(to)) continue;
      cameFrom.set(to, file);
      if (to === start) {
        const between: string[] = [];
        for (let at = file; at !== start; at = cameFrom.get(at)!) between.unshift(at);
        return [start, ...between, start];
      }
      queue.push(to);
    }
  }
  throw new Error(`no cycle through ${start} inside its component: the component is not cyclic`);
}

/** Paths relative to `root`, for messages. */
export function shown(root: string, files: readonly string[]): string {
  return files.map((file) => relative(root, file)).join(' → ');
}
