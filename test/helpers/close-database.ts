import type { Database } from '../../src/db/database.js';

/**
 * Closes a Database and waits until its connections are gone. pool.end() (what close()
 * calls) resolves once it has asked every connection to end, before their sockets have
 * closed: a Postgres stopped or a database dropped WITH (FORCE) right after terminates
 * those sessions (57P01 "terminating connection due to administrator command"), which
 * their clients then report as errors. The pool emits 'remove' for a client once its
 * socket has closed.
 */
export async function closeDatabase(database: Database | undefined): Promise<void> {
  if (!database) return;
  const { pool } = database;
  let open = pool.totalCount;
  const gone = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    pool.on('remove', () => {
      open -= 1;
      if (open === 0) resolve();
    });
  });
  await database.close();
  await gone;
}
