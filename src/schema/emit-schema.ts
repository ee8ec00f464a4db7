import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { lexicographicSortSchema } from 'graphql';
import { buildGraphqlSchema } from './build-schema.js';

/**
 * `npm run schema:emit` writes schema.graphql from the code (directives included);
 * `npm run schema:check` fails when the committed file differs from the code.
 */
const schemaPath = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
const header = '# Emitted from the type-graphql code by `npm run schema:emit`; do not edit by hand.\n\n';

export async function printedSchema(): Promise<string> {
  return `${header}${printSchemaWithDirectives(lexicographicSortSchema(await buildGraphqlSchema()))}\n`;
}

const printed = await printedSchema();
if (process.argv.includes('--check')) {
  const committed = await readFile(schemaPath, 'utf8').catch(() => '');
  if (committed !== printed) {
    console.error('schema.graphql differs from the schema built from the code; run `npm run schema:emit` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql matches the code');
} else {
  await writeFile(schemaPath, printed);
  console.log(`wrote ${schemaPath}`);
}
