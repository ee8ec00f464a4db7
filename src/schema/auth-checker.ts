import type { AuthChecker } from 'type-graphql';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { Role } from '../db/tables.js';

/** Who may call what (README, Authentication): VIEWER reads, INGEST writes orders and events, ADMIN everything. */
export const READERS: Role[] = ['VIEWER', 'ADMIN'];
export const WRITERS: Role[] = ['INGEST', 'ADMIN'];
export const ADMINS: Role[] = ['ADMIN'];

/** Root fields carry @Authorized(roles); nested fields are reachable only through them. */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context, info }, roles) => {
  const principal = context.principal;
  if (!principal) throw new UnauthenticatedError();
  if (roles.length > 0 && !roles.includes(principal.role)) {
    throw new ForbiddenError(`${info.parentType.name}.${info.fieldName} needs role ${roles.join(' or ')}; this key has ${principal.role}`);
  }
  return true;
};

/** The caller of a field below an authorized root field. */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new UnauthenticatedError();
  return ctx.principal;
}
