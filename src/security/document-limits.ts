import { createHash } from 'node:crypto';
import { parse, type GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SecurityLimits } from './limits.js';
import { documentLimitErrors } from './validation-rules.js';

/**
 * The limit checks (depth, aliases, directives, repeated fields) run on their own,
 * before the standard validation: some attacks (2,000 repeated fields) make the
 * standard rules quadratic, so they must be stopped first. Verdicts on accepted query
 * texts are remembered, so a repeated query pays a hash, not a parse.
 */
export class DocumentLimits {
  private readonly accepted = new LRUCache<string, true>({ max: 5_000 });
  constructor(private readonly limits: SecurityLimits) {}

  /** The first limit the query text breaks, or null (also for texts that do not parse: the parser reports those). */
  check(query: string): GraphQLError | null {
    const hash = createHash('sha1').update(query).digest('base64');
    if (this.accepted.has(hash)) return null;
    let document;
    try {
      document = parse(query, { maxTokens: this.limits.maxTokens });
    } catch {
      return null;
    }
    const [error] = documentLimitErrors(document, this.limits);
    if (error) return error;
    this.accepted.set(hash, true);
    return null;
  }
}
