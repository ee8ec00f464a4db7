import type { Role } from '../db/tables.js';

/** Who may call what (docs/api.md, Authentication, roles and store scope): VIEWER reads, INGEST writes orders and events, ADMIN everything. */
export const READERS: Role[] = ['VIEWER', 'ADMIN'];
export const WRITERS: Role[] = ['INGEST', 'ADMIN'];
export const ADMINS: Role[] = ['ADMIN'];

/**
 * The one decision "may a caller with this role call what these roles may?". It depends
 * on the role alone, so each role's answers for the role sets @Authorized uses (READERS,
 * WRITERS, ADMINS, recognised by identity) are decided once per process. A request
 * context takes its principal's grants once; the reader flag, the auth checker of every
 * @Authorized field and the cache then read the same answers.
 */
export class RoleGrants {
  /** May read analytics (READERS): what @cached fields and the operation store serve. */
  readonly reader: boolean;
  /** May write orders, inventory and events (WRITERS). */
  readonly writer: boolean;
  /** May administer keys, jobs, the cache and metrics (ADMINS). */
  readonly admin: boolean;

  constructor(private readonly role: Role | null) {
    this.reader = this.decide(READERS);
    this.writer = this.decide(WRITERS);
    this.admin = this.decide(ADMINS);
  }

  /** Identity comparisons with the known sets: cheaper per field than any lookup. */
  allows(roles: readonly Role[]): boolean {
    if (roles === READERS) return this.reader;
    if (roles === WRITERS) return this.writer;
    if (roles === ADMINS) return this.admin;
    return this.decide(roles);
  }

  /** No role (no principal) is allowed nothing; an empty role set needs only a principal. */
  private decide(roles: readonly Role[]): boolean {
    return this.role !== null && (roles.length === 0 || roles.includes(this.role));
  }
}

const grantsByRole = new Map<Role | null, RoleGrants>();

/** The grants of a role (null: no principal), shared by every request of that role. */
export function grantsOf(role: Role | null): RoleGrants {
  let grants = grantsByRole.get(role);
  if (!grants) {
    grants = new RoleGrants(role);
    grantsByRole.set(role, grants);
  }
  return grants;
}
