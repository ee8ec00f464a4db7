import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { hashOf, queryHash, stableJson } from '../cache/keys.js';

/**
 * A stored response: the plain body and what serving it needs. Its gzip and brotli forms
 * are made on the first hit that asks for them (bodiesFor), not when it is stored: most
 * operation entries of a changing workload (a new range, a cold cache) are never asked
 * again, and compressing every one of them cost a miss a fifth of its CPU.
 */
export interface OperationEntry {
  body: string;
  etag: string;
  scope: 'PUBLIC' | 'PRIVATE';
  /** Field coordinates it was built from: a hot hit counts as a hit of each. */
  fields: string[];
  cost: number;
}

/** Bodies under this size are not worth compressing (headers cost more than they save). */
const MIN_COMPRESS_BYTES = 512;

export function buildOperationEntry(body: string, scope: OperationEntry['scope'], fields: string[], cost: number): OperationEntry {
  return { body, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`, scope, fields, cost };
}

/**
 * What identifies an operation: its text, variables and name (not the scope: that is
 * appended per caller). Short variables go into the key as they are; only long ones
 * are hashed — hashing is most of the hot path's own work.
 */
export function operationHash(query: string, variables: unknown, operationName: unknown): string {
  const vars = stableJson(variables ?? {});
  return `${queryHash(query)}:${vars.length <= 160 ? vars : hashOf(vars)}:${String(operationName ?? '')}`;
}

export function operationKey(schemaVersion: string, hash: string, scope: string): string {
  return `op:v${schemaVersion}:${hash}:${scope}`;
}

export type Coding = 'br' | 'gzip';

interface Bodies {
  plain: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

/** Per entry object (L1 keeps the object): the plain bytes, and each coding once a hit asked for it. */
const bodies = new WeakMap<OperationEntry, Bodies>();

function bodiesOf(entry: OperationEntry): Bodies {
  let known = bodies.get(entry);
  if (!known) bodies.set(entry, (known = { plain: Buffer.from(entry.body) }));
  return known;
}

/** The codings worth offering for this entry (none for small bodies). */
export function codingsFor(entry: OperationEntry): readonly Coding[] {
  return bodiesOf(entry).plain.length >= MIN_COMPRESS_BYTES ? (['br', 'gzip'] as const) : [];
}

/**
 * The entry's bytes in `coding` (compressed on first use, then kept with the entry), or
 * plain. Brotli at quality 4 costs about as much as gzip 6 and is smaller; higher
 * qualities are not cheap.
 */
export function bodyFor(entry: OperationEntry, coding: Coding | null): Buffer {
  const known = bodiesOf(entry);
  if (coding === null) return known.plain;
  return (known[coding] ??=
    coding === 'br'
      ? brotliCompressSync(known.plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })
      : gzipSync(known.plain, { level: 6 }));
}
