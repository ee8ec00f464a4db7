import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/principal.js';
import { ErrorCode } from '../errors.js';
import type { TrustedDocuments } from '../security/trusted-documents.js';
import { hashMismatch, persistedQueryOf, plainQueryOf, withPlainQuery } from './persisted-query-request.js';

/** A refusal made before parsing: the HTTP status and the error a client switches on. */
export interface GateRefusal {
  status: number;
  code: ErrorCode;
  message: string;
}

export type GateOutcome =
  { kind: 'pass'; url: URL; body: unknown; persistedHash: string | null } | { kind: 'refuse'; refusal: GateRefusal };

const NOT_TRUSTED =
  'This server runs only its trusted operations (TRUSTED_DOCUMENTS) and this one is not among them: send a document of the manifest, by its hash or its text';

/**
 * What a request may run, decided before anything parses it (HTTP handler):
 * - a malformed `extensions.persistedQuery`, or a hash that is not the sha256 of the
 *   query sent with it, is 400 BAD_REQUEST (Apollo refuses both too, but without a code);
 * - with TRUSTED_DOCUMENTS, a caller other than ADMIN runs only the manifest's documents:
 *   named by hash or sent as text, they go on as plain text (no APQ, no registration);
 *   anything else is 400 PERSISTED_QUERY_NOT_FOUND. ADMIN keys are exempt (Sandbox):
 *   they run manifest hashes too, and anything else through the usual path (APQ included).
 * `persistedHash` is the APQ hash still to resolve (a hash-only request Apollo will look up).
 */
export function gatePersistedQuery(
  req: IncomingMessage,
  url: URL,
  body: unknown,
  principal: Principal | null,
  trusted: TrustedDocuments | null,
): GateOutcome {
  const persisted = persistedQueryOf(req, url, body);
  if (persisted && 'error' in persisted)
    return { kind: 'refuse', refusal: { status: 400, code: ErrorCode.BAD_REQUEST, message: persisted.error } };
  // A manifest hash runs its document for every caller, ADMIN included (an admin using the production client).
  const manifestDocument = trusted && principal && persisted ? trusted.byHash(persisted.hash) : undefined;
  if (manifestDocument !== undefined) return { kind: 'pass', ...withPlainQuery(req, url, body, manifestDocument), persistedHash: null };
  if (trusted && principal && principal.role !== 'ADMIN') {
    const text = persisted ? persisted.query : plainQueryOf(req, url, body);
    // No operation at all is Apollo's to refuse (BAD_REQUEST, "must contain a non-empty query").
    if (!persisted && text === null) return { kind: 'pass', url, body, persistedHash: null };
    const document = text === null ? undefined : trusted.byText(text);
    if (document === undefined)
      return { kind: 'refuse', refusal: { status: 400, code: ErrorCode.PERSISTED_QUERY_NOT_FOUND, message: NOT_TRUSTED } };
    return { kind: 'pass', ...withPlainQuery(req, url, body, document), persistedHash: null };
  }
  if (persisted && hashMismatch(persisted)) {
    return {
      kind: 'refuse',
      refusal: {
        status: 400,
        code: ErrorCode.BAD_REQUEST,
        message: 'extensions.persistedQuery.sha256Hash is not the sha256 of the query sent with it',
      },
    };
  }
  return { kind: 'pass', url, body, persistedHash: persisted && persisted.query === null ? persisted.hash : null };
}
