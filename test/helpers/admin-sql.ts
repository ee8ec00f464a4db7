import pg from 'pg';

/** Runs statements (CREATE/DROP DATABASE and the like) one after the other on a session of their own. */
export async function runAdminStatements(connectionString: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString });
  // A failure of the session shows as the rejected statement; without a listener it would also be an uncaught 'error'.
  client.on('error', () => {});
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
