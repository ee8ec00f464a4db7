import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Role } from '../db/tables.js';
import type { Principal } from './principal.js';

/** Keys are 32 random bytes; only their SHA-256 is stored, so a leaked table leaks no key. */
export function generateApiKey(): string {
  return `gp_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createApiKey(
  db: Db,
  input: { name: string; role: Role; storeIds: number[] | null; key?: string },
): Promise<{ id: number; key: string; role: Role }> {
  const key = input.key ?? generateApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({ name: input.name, key_hash: hashApiKey(key), role: input.role, store_ids: input.storeIds })
    .returning(['id', 'role'])
    .executeTakeFirstOrThrow();
  return { id: row.id, key, role: row.role };
}

/** Resolves a presented key to its principal; null for unknown or revoked keys. */
export async function findPrincipal(db: Db, key: string): Promise<Principal | null> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'store_ids'])
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  return Object.freeze({
    keyId: row.id,
    name: row.name,
    role: row.role,
    storeIds: row.store_ids ? Object.freeze([...row.store_ids]) : null,
  });
}

/** Returns true when a live key was revoked. */
export async function revokeApiKey(db: Db, id: number): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Start-up: ADMIN_API_KEY is made a live admin key if it is not one; without it, the
 * first start creates an admin key and returns it so it can be printed once.
 */
export async function ensureAdminKey(db: Db, configured: string | undefined): Promise<{ createdKey: string | null }> {
  if (configured) {
    const existing = await db.selectFrom('api_keys').select(['id']).where('key_hash', '=', hashApiKey(configured)).executeTakeFirst();
    if (existing) {
      await db.updateTable('api_keys').set({ role: 'ADMIN', revoked_at: null, store_ids: null }).where('id', '=', existing.id).execute();
    } else {
      await createApiKey(db, { name: 'admin (ADMIN_API_KEY)', role: 'ADMIN', storeIds: null, key: configured });
    }
    return { createdKey: null };
  }
  const anyAdmin = await db
    .selectFrom('api_keys')
    .select('id')
    .where('role', '=', 'ADMIN')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (anyAdmin) return { createdKey: null };
  const created = await createApiKey(db, { name: 'admin (first start)', role: 'ADMIN', storeIds: null });
  return { createdKey: created.key };
}
