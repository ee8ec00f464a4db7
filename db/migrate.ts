import { withMigratedDatabase } from './with-database.js';

/**
 * `npm run migrate`: applies pending migrations (db/migrations) to DATABASE_URL, or to the
 * embedded database under DATA_DIR — the running API's when there is one, else started
 * and stopped here. Exit codes: 0 done, 1 failed, 2 bad configuration or arguments.
 */
if (process.argv.length > 2) {
  console.error(`migrate: takes no arguments, got ${process.argv.slice(2).join(' ')}\nusage: npm run migrate`);
  process.exit(2);
}
let applied = 0;
const code = await withMigratedDatabase('migrate', async (database) => {
  const { rows } = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM kysely_migration');
  applied = rows[0]?.n ?? 0;
  return 0;
});
if (code === 0) console.log(`database is up to date: ${applied} migrations applied in all`);
process.exit(code);
