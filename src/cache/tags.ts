import { BadUserInputError } from '../errors.js';
import { daysOf, rangeDayCount } from '../days.js';

/**
 * Tag templates of @cached: literal text with {parent.<path>}, {args.<path>} and
 * {buckets:args.<range>} holes. Compiled once at start (bad templates fail there, with
 * the field's coordinate); expanded per call into concrete tags. Templates are built by
 * readTag of tag-vocabulary.ts, never written by hand.
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
  const perDay = rangeDayCount(range) <= DAY_BUCKET_MAX_DAYS;
  const buckets = new Set<string>();
  for (const day of daysOf(range)) buckets.add(perDay ? `d:${day}` : `m:${day.slice(0, 7)}`);
  return [...buckets];
}

/** Both buckets a write on `day` touches: its day tag and its month tag. */
export function dayBuckets(day: string): string[] {
  return [`d:${day}`, `m:${day.slice(0, 7)}`];
}

/** A concrete bucket as rangeBuckets and dayBuckets name it (regular-expression source). */
export const BUCKET_PATTERN = String.raw`(?:d:\d{4}-\d{2}-\d{2}|m:\d{4}-\d{2})`;

/** The hole of a value in a template: `{parent.id}`, `{args.storeId}`. */
export const valueHole = (path: string): string => `{${path}}`;
/** The hole expanding to every bucket of a DateRange argument: `{buckets:args.range}`. */
export const bucketsHole = (path: string): string => `{buckets:${path}}`;
/** Regular-expression sources matching exactly the holes above (paths as compileTagTemplate accepts them). */
export const VALUE_HOLE_PATTERN = String.raw`\{(?:parent|args)\.\w+(?:\.\w+)*\}`;
export const BUCKETS_HOLE_PATTERN = String.raw`\{buckets:args\.\w+(?:\.\w+)*\}`;

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
      throw new Error(
        `@cached on ${coordinate}: tag "${template}" has an unknown variable {${expression}}; use {parent.<field>}, {args.<name>} or {buckets:args.<range>}`,
      );
    }
    const known = root === 'parent' ? scope.parentFields : scope.argNames;
    if (!known.has(path[0])) {
      throw new Error(
        `@cached on ${coordinate}: tag "${template}" names {${expression}} but ${root === 'parent' ? 'the parent type has no field' : 'the field has no argument'} "${path[0]}"`,
      );
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
