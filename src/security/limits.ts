import type { Config } from '../config.js';

/** Pre-execution limits; defaults admit every example query of the README. */
export interface SecurityLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectivesPerField: number;
  /** How often one response key may repeat in one selection set (graphql merges repeats, attackers use them). */
  maxRepeatsPerField: number;
  maxCost: number;
}

export function limitsFrom(config: Config): SecurityLimits {
  return {
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_ALIASES,
    maxTokens: config.MAX_QUERY_TOKENS,
    maxDirectivesPerField: config.MAX_DIRECTIVES_PER_FIELD,
    maxRepeatsPerField: config.MAX_FIELD_REPEATS,
    maxCost: config.MAX_QUERY_COST,
  };
}
