import type { AuthChecker } from 'type-graphql';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { Role } from '../db/tables.js';

/** The role sets @Authorized takes; decided by src/auth/role-grants.ts. */
export { ADMINS, READERS, WRITERS } from '../auth/role-grants.js';

/**
 * Root fields carry @Authorized(roles); nested fields are reachable only through them.
 * The decision is the context's (its principal's grants, decided once per role set):
 * this only turns a refusal into the error a client sees.
 */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context, info }, roles) => {
  const principal = context.principal;
  if (!principal) throw new UnauthenticatedError();
  if (!context.grants.allows(roles)) {
    throw new ForbiddenError(`${info.parentType.name}.${info.fieldName} needs role ${roles.join(' or ')}; this key has ${principal.role}`);
  }
  return true;
};

/** The caller of a field below an authorized root field. */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new UnauthenticatedError();
  return ctx.principal;
}
