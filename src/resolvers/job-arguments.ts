import type { RequestContext } from '../context.js';
import { BadUserInputError, ServiceUnavailableError } from '../errors.js';
import type { Jobs } from '../jobs/job-runtime.js';

const JOB_ID = /^[\w:.-]{1,200}$/;

/** Job ids are ours (kind-hash) or BullMQ's (numbers, repeat:…); anything else names nothing. */
export function checkJobId(id: string, argument = 'id'): string {
  if (!JOB_ID.test(id)) throw new BadUserInputError(`${argument} is not a job id: ${JSON.stringify(id.slice(0, 50))}`, { argument });
  return id;
}

export function jobsOf(ctx: RequestContext): Jobs {
  const jobs = ctx.services.jobs;
  if (!jobs) throw new ServiceUnavailableError('Background jobs are not available in this process');
  return jobs;
}
