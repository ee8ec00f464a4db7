import { familyOfTemplate, TAG_FAMILIES, type TagVocabulary } from './tag-vocabulary.js';

/** One @cached field as the check sees it: its coordinate and its tag templates as written. */
export interface FieldReadTags {
  coordinate: string;
  tagTemplates: readonly string[];
}

/**
 * Run once at start over every @cached field (composeFieldResolvers): each read tag must
 * come from the vocabulary (src/cache/tag-vocabulary.ts), and its family must be
 * invalidated by some writer or be declared TTL-only. Otherwise an entry would only ever
 * leave the cache by its ttl without anyone having decided so: the start fails, naming
 * every offending field.
 */
export function checkReadTags(fields: readonly FieldReadTags[], vocabulary: TagVocabulary = TAG_FAMILIES): void {
  const problems: string[] = [];
  for (const { coordinate, tagTemplates } of fields) {
    for (const template of tagTemplates) {
      const name = familyOfTemplate(template, vocabulary);
      if (name === null) {
        problems.push(
          `${coordinate}: tag "${template}" is not from the tag vocabulary; build it with readTag.<family>(…) of src/cache/tag-vocabulary.ts`,
        );
        continue;
      }
      const family = vocabulary[name];
      if (family.writers.length === 0 && !family.ttlOnly) {
        problems.push(`${coordinate}: tag family ${name} ("${template}") has no writer that invalidates it and is not declared ttlOnly`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`@cached read tags refused:\n  ${problems.join('\n  ')}`);
}
