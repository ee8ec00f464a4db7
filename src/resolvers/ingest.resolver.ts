import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { insertEvents } from '../ingest/insert-events.js';
import { MAX_EVENTS_PER_CALL, storeIdsOf, validateEvents } from '../ingest/validate-events.js';
import { tagsForEventDays } from '../ingest/ingested-event-tags.js';
import { principalOf, WRITERS } from '../schema/auth-checker.js';
import { EventInput } from '../schema/inputs/event.input.js';
import { IngestResult } from '../schema/types/ingest-result.type.js';

@Resolver()
export class IngestResolver {
  @Authorized(WRITERS)
  @Mutation(() => IngestResult, { description: 'Stores 1 to 1000 events; each is checked on its own, resent ids count as duplicates' })
  async ingestEvents(@Ctx() ctx: RequestContext, @Arg('events', () => [EventInput]) events: EventInput[]): Promise<IngestResult> {
    if (events.length === 0 || events.length > MAX_EVENTS_PER_CALL) {
      throw new BadUserInputError(`events must hold 1 to ${MAX_EVENTS_PER_CALL} events, got ${events.length}`, { argument: 'events' });
    }
    const { ingest, config, database } = ctx.services;
    const storeIds = storeIdsOf(events);
    const known = await ingest.stores.existing(storeIds);
    const { valid, rejected } = validateEvents(events, principalOf(ctx), known, config.EVENT_RETENTION_DAYS, Date.now(), storeIds);
    // A repeated id inside one batch is a duplicate of its first occurrence.
    const seen = new Set<string>();
    const unique = valid.filter((event) => !seen.has(event.id) && seen.add(event.id));
    const inserted = await insertEvents(database.db, unique);
    if (inserted.days.length > 0) await ingest.invalidations.touch(tagsForEventDays(inserted.days));
    return { accepted: inserted.stored, duplicates: valid.length - inserted.stored, rejected };
  }
}
