import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { JobKind } from './job-kinds.js';
import type { JobQueues } from './job-queues.js';

interface Schedule {
  /** The scheduler id: fixed, so every instance and every restart upserts the same one. */
  id: string;
  kind: JobKind;
  pattern: string;
}

export function schedulesOf(config: Config): Schedule[] {
  return [
    { id: 'refreshAggregates', kind: 'refreshAggregates', pattern: config.JOB_REFRESH_CRON },
    { id: 'cleanupEvents', kind: 'cleanupEvents', pattern: config.JOB_CLEANUP_CRON },
  ];
}

/**
 * BullMQ job schedulers (v6 has no `repeat`): upserting a fixed id is idempotent across
 * restarts and instances, and the job it produces next has an id derived from the
 * scheduler and the time, so two instances never queue one slot twice. `off` removes a
 * schedule. warmCache has no schedule of its own: each refresh queues it.
 */
export async function applySchedules(queues: JobQueues, config: Config, logger: Logger): Promise<void> {
  for (const schedule of schedulesOf(config)) {
    const queue = queues.queue(queues.policyOf(schedule.kind).queue);
    if (schedule.pattern === 'off') {
      if (await queue.removeJobScheduler(schedule.id)) logger.info({ schedule: schedule.id }, 'job schedule removed');
      continue;
    }
    try {
      await queue.upsertJobScheduler(
        schedule.id,
        { pattern: schedule.pattern, tz: 'UTC' },
        { name: schedule.kind, data: {}, opts: queues.jobOptions(schedule.kind, false) },
      );
    } catch (error) {
      throw new Error(
        `Job schedule ${schedule.id} with pattern "${schedule.pattern}" was refused: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
