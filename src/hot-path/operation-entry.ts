import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { hashOf, queryHash, stableJson } from '../cache/keys.js';

/** A stored response: the plain body and its compressed forms, with what serving it needs. */
export interface OperationEntry {
  body: string;
  /** base64, so the entry survives the JSON of L2. */
  gzip: string;
  br: string;
  etag: string;
  scope: 'PUBLIC' | 'PRIVATE';
  /** Field coordinates it was built from: a hot hit counts as a hit of each. */
  fields: string[];
  cost: number;
}

/** Bodies under this size are not worth compressing (headers cost more than they save). */
const MIN_COMPRESS_BYTES = 512;

export function buildOperationEntry(body: string, scope: OperationEntry['scope'], fields: string[], cost: number): OperationEntry {
  const raw = Buffer.from(body);
  const compress = raw.length >= MIN_COMPRESS_BYTES;
  return {
    body,
    gzip: compress ? gzipSync(raw, { level: 6 }).toString('base64') : '',
    // Brotli at quality 4 costs about as much as gzip 6 and is smaller; higher qualities are not cheap.
    br: compress ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }).toString('base64') : '',
    etag: `"${createHash('sha1').update(raw).digest('base64url').slice(0, 22)}"`,
    scope,
    fields,
    cost,
  };
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

const decoded = new WeakMap<OperationEntry, { plain: Buffer; gzip: Buffer | null; br: Buffer | null }>();

/** The entry's bodies as Buffers, decoded once per entry object (L1 keeps the object). */
export function bodiesOf(entry: OperationEntry): { plain: Buffer; gzip: Buffer | null; br: Buffer | null } {
  let bodies = decoded.get(entry);
  if (!bodies) {
    bodies = {
      plain: Buffer.from(entry.body),
      gzip: entry.gzip ? Buffer.from(entry.gzip, 'base64') : null,
      br: entry.br ? Buffer.from(entry.br, 'base64') : null,
    };
    decoded.set(entry, bodies);
  }
  return bodies;
}
