import { sleep, type KindProcessor } from '../job-context.js';

/** The no-op job: health checks, benchmarks, and tests of retries and crashes (its data says how to misbehave). */
export const probeJob: KindProcessor<'probe'> = async (job) => {
  const { sleepMs = 0, failAttempts = 0 } = job.data;
  if (sleepMs > 0) await sleep(sleepMs);
  if (job.attemptsStarted <= failAttempts) {
    throw new Error(`probe told to fail attempts 1..${failAttempts}; this is attempt ${job.attemptsStarted}`);
  }
  return { attempt: job.attemptsStarted };
};
