import { writeTags } from '../cache/tag-vocabulary.js';

const tag = writeTags('ingestEvents');

/**
 * The tags of a (store, day) never change, and a stream of events names the same few
 * pairs over and over: building them (the vocabulary's generic cross product and day
 * check) cost more than the rest of a one-event call's own work. Bounded: cleared when
 * full, as a new pair is rebuilt in microseconds.
 */
const tagsOfDay = new Map<string, readonly string[]>();
const MAX_CACHED_DAYS = 10_000;

function storeEventTags(storeId: number, day: string): readonly string[] {
  const key = `${storeId}|${day}`;
  let tags = tagsOfDay.get(key);
  if (tags === undefined) {
    tags = tag.storeEvents(storeId, day);
    if (tagsOfDay.size >= MAX_CACHED_DAYS) tagsOfDay.clear();
    tagsOfDay.set(key, tags);
  }
  return tags;
}

/** The event tags of each (store, UTC day) given, each once. */
export function tagsForEventDays(days: Iterable<{ storeId: number; day: string }>): string[] {
  const tags = new Set<string>();
  for (const { storeId, day } of days) for (const eventTag of storeEventTags(storeId, day)) tags.add(eventTag);
  return [...tags];
}

/** The event tags of every (store, UTC day) a stored batch landed in, each once. */
export function tagsForIngestedEvents(stored: ReadonlyArray<{ storeId: number; occurredAt: Date }>): string[] {
  return tagsForEventDays(stored.map((event) => ({ storeId: event.storeId, day: event.occurredAt.toISOString().slice(0, 10) })));
}
