import { sleep, type KindProcessor } from '../job-context.js';
import { toCsv } from '../reports/csv.js';
import { reportRows } from '../reports/report-rows.js';

/**
 * Builds a report as CSV in `reports`. The report id is fixed by the job run (id and
 * creation time), and the row is inserted with ON CONFLICT DO NOTHING: a run taken up
 * again after a crash, even one that crashed after the insert, writes it once.
 * The job's result is { reportId } (a public contract: clients read it to fetch Query.report).
 */
export const generateReportJob: KindProcessor<'generateReport'> = async (job, { services }) => {
  const { kind, range, storeIds, pauseMs = 0 } = job.data;
  const db = services.database.db;
  const reportId = `${job.id}-${job.timestamp.toString(36)}`;
  const step = async (progress: number) => {
    await job.updateProgress(progress);
    if (pauseMs > 0) await sleep(pauseMs);
  };
  await step(0.1);
  const table = await reportRows(db, kind, { range, storeIds });
  await step(0.6);
  const csv = toCsv(table.header, table.rows);
  await step(0.8);
  await db
    .insertInto('reports')
    .values({ id: reportId, kind, params: JSON.stringify({ range, storeIds }), row_count: table.rows.length, csv })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await job.updateProgress(1);
  services.logger.info({ jobId: job.id, reportId, kind, rows: table.rows.length }, 'report generated');
  return { reportId, rows: table.rows.length };
};
