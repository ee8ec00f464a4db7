import { writeTags } from '../cache/tag-vocabulary.js';

const tag = writeTags('ingestEvents');

/** The event tags of every (store, UTC day) a stored batch landed in, each once. */
export function tagsForIngestedEvents(stored: ReadonlyArray<{ storeId: number; occurredAt: Date }>): string[] {
  const tags = new Set<string>();
  for (const event of stored) {
    for (const eventTag of tag.storeEvents(event.storeId, event.occurredAt.toISOString().slice(0, 10))) tags.add(eventTag);
  }
  return [...tags];
}
