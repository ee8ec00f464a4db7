import { BadUserInputError } from '../errors.js';

/**
 * Tag templates of @cached: literal text with {parent.<path>}, {args.<path>} and
 * {buckets:args.<range>} holes. Compiled once at start (bad templates fail there, with
 * the field's coordinate); expanded per call into concrete tags.
 */

export type TagTemplate = (parent: unknown, args: Record<string, unknown>) => string[];

const HOLE = /\{([^{}]+)\}/g;
/** Ranges up to this many days are tagged per day; longer ones per month (bounded tag count). */
export const DAY_BUCKET_MAX_DAYS = 31;

function pathValue(source: unknown, path: string[]): unknown {
  let value = source;
  for (const key of path) value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
  return value;
}

/** Ranges seen lately → their buckets (dashboards repeat a handful of ranges). */
const bucketMemo = new Map<string, string[]>();

/** Bucket names covering an inclusive day range: d:YYYY-MM-DD for short ranges, m:YYYY-MM for long ones. */
export function rangeBuckets(range: { from: string; to: string }): string[] {
  const memoKey = `${range.from}|${range.to}`;
  const known = bucketMemo.get(memoKey);
  if (known) return known;
  const computed = computeBuckets(range);
  // Dashboards ask for a handful of ranges; a small bound keeps the memo from growing with odd ones.
  if (bucketMemo.size > 1_000) bucketMemo.clear();
  bucketMemo.set(memoKey, computed);
  return computed;
}

function computeBuckets(range: { from: string; to: string }): string[] {
  const start = Date.parse(`${range.from}T00:00:00Z`);
  const end = Date.parse(`${range.to}T00:00:00Z`);
  const days = Math.round((end - start) / 86_400_000) + 1;
  const buckets = new Set<string>();
  for (let t = start; t <= end; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    buckets.add(days <= DAY_BUCKET_MAX_DAYS ? `d:${day}` : `m:${day.slice(0, 7)}`);
  }
  return [...buckets];
}

/** Both buckets a write on `day` touches: its day tag and its month tag. */
export function dayBuckets(day: string): string[] {
  return [`d:${day}`, `m:${day.slice(0, 7)}`];
}

export interface TemplateScope {
  /** Field names (and internal properties) the parent object may be read by. */
  parentFields: Set<string>;
  argNames: Set<string>;
}

/** Compiles one template; throws naming `coordinate` when a hole names something that does not exist. */
export function compileTagTemplate(template: string, coordinate: string, scope: TemplateScope): TagTemplate {
  const pieces: Array<(parent: unknown, args: Record<string, unknown>) => string[]> = [];
  let last = 0;
  for (const match of template.matchAll(HOLE)) {
    const literal = template.slice(last, match.index);
    pieces.push(() => [literal]);
    last = (match.index ?? 0) + match[0].length;
    const expression = match[1].trim();
    const bucket = expression.startsWith('buckets:');
    const [root, ...path] = (bucket ? expression.slice('buckets:'.length) : expression).split('.');
    if ((root !== 'parent' && root !== 'args') || path.length === 0) {
      throw new Error(`@cached on ${coordinate}: tag "${template}" has an unknown variable {${expression}}; use {parent.<field>}, {args.<name>} or {buckets:args.<range>}`);
    }
    const known = root === 'parent' ? scope.parentFields : scope.argNames;
    if (!known.has(path[0])) {
      throw new Error(`@cached on ${coordinate}: tag "${template}" names {${expression}} but ${root === 'parent' ? 'the parent type has no field' : 'the field has no argument'} "${path[0]}"`);
    }
    if (bucket) {
      pieces.push((_parent, args) => {
        const range = pathValue(args, path) as { from: string; to: string } | undefined;
        if (!range?.from || !range?.to) throw new BadUserInputError(`${coordinate}: argument ${path.join('.')} is required`);
        return rangeBuckets(range);
      });
    } else {
      pieces.push((parent, args) => [String(pathValue(root === 'parent' ? parent : args, path) ?? 'null')]);
    }
  }
  const tail = template.slice(last);
  pieces.push(() => [tail]);
  // Each piece yields one or more strings; the tags are their cross product.
  return (parent, args) =>
    pieces.reduce<string[]>((acc, piece) => piece(parent, args).flatMap((part) => acc.map((prefix) => prefix + part)), ['']);
}
