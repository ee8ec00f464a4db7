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
  private readonly accepted = new LRUCache<string, true>({
    max: 2_000,
    maxSize: 16 * 1024 * 1024,
    sizeCalculation: (_v, key) => key.length * 2,
  });
  constructor(private readonly limits: SecurityLimits) {}

  /** The first limit the query text breaks, or null (also for texts that do not parse: the parser reports those). */
  check(query: string): GraphQLError | null {
    // Keyed by the text itself: a Map lookup is cheaper than hashing it, and texts are bounded (1 MB body).
    if (this.accepted.has(query)) return null;
    let document;
    try {
      document = parse(query, { maxTokens: this.limits.maxTokens });
    } catch {
      return null;
    }
    const [error] = documentLimitErrors(document, this.limits);
    if (error) return error;
    this.accepted.set(query, true);
    return null;
  }
}
