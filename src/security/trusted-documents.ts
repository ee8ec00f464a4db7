import { readFileSync } from 'node:fs';
import { parse, print, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { ConfigError } from '../config.js';
import type { SecurityLimits } from './limits.js';
import { securityValidationRules } from './validation-rules.js';

/**
 * The operations allowed when TRUSTED_DOCUMENTS is set: a persisted-documents manifest as
 * GraphQL Code Generator's client preset writes it (`{ "<hash>": "<document>" }`). Hashes
 * are taken as given (the preset's sha256 of the text, or whatever the build chose). A
 * request names a document by its hash (`extensions.persistedQuery.sha256Hash`) or sends
 * its text; texts count as identical when print(parse(text)) is.
 */
export class TrustedDocuments {
  private constructor(
    private readonly byHashes: ReadonlyMap<string, string>,
    /** Each document under its text as written and as printed, → the text as written. */
    private readonly byTexts: ReadonlyMap<string, string>,
    private readonly maxTokens: number,
  ) {}

  get size(): number {
    return this.byHashes.size;
  }

  byHash(hash: string): string | undefined {
    return this.byHashes.get(hash);
  }

  /**
   * The manifest's document a text stands for, or undefined. A text not found as it is
   * is parsed (with the token limit) only to be printed for the lookup: a text that does
   * not parse is simply not a trusted document.
   */
  byText(text: string): string | undefined {
    const exact = this.byTexts.get(text);
    if (exact !== undefined) return exact;
    try {
      return this.byTexts.get(print(parse(text, { noLocation: true, maxTokens: this.maxTokens })));
    } catch {
      return undefined;
    }
  }

  /**
   * Reads and checks the manifest at start: every document must parse and validate
   * against the schema and the limits. Any problem stops the start with a ConfigError
   * naming the file and each bad entry.
   */
  static load(path: string, schema: GraphQLSchema, limits: SecurityLimits): TrustedDocuments {
    const problem = (what: string) => `TRUSTED_DOCUMENTS=${JSON.stringify(path)}: ${what}`;
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigError([problem(`cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`)]);
    }
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
      throw new ConfigError([
        problem(
          'expected a JSON object { "<hash>": "<document>" } (the persisted-documents manifest of GraphQL Code Generator\'s client preset)',
        ),
      ]);
    }
    const entries = Object.entries(manifest as Record<string, unknown>);
    if (entries.length === 0) throw new ConfigError([problem('the manifest holds no document, so no operation could run')]);
    const rules = [...specifiedRules, ...securityValidationRules(limits)];
    const problems: string[] = [];
    const byHashes = new Map<string, string>();
    const byTexts = new Map<string, string>();
    for (const [hash, text] of entries) {
      const entry = (what: string) => problem(`entry ${JSON.stringify(hash)} ${what}`);
      if (typeof text !== 'string' || text.trim() === '') {
        problems.push(entry('is not a document text'));
        continue;
      }
      let document;
      try {
        document = parse(text, { noLocation: true, maxTokens: limits.maxTokens });
      } catch (error) {
        problems.push(entry(`does not parse: ${(error as Error).message}`));
        continue;
      }
      const errors = validate(schema, document, rules);
      if (errors.length) {
        problems.push(entry(`fails validation against the schema: ${errors.map((e) => e.message).join('; ')}`));
        continue;
      }
      byHashes.set(hash, text);
      byTexts.set(text, text);
      byTexts.set(print(document), text);
    }
    if (problems.length) throw new ConfigError(problems);
    return new TrustedDocuments(byHashes, byTexts, limits.maxTokens);
  }
}
