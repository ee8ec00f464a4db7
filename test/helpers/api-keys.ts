import { CreateApiKeyDocument, type Role } from '../generated/graphql.js';
import { dataOf } from './graphql-client.js';
import { startTestServer, type TestServer } from './test-server.js';

/** Creates a key through createApiKey (as the admin) and returns its secret. */
export async function createKey(server: TestServer, name: string, role: Role, storeIds?: string[]): Promise<string> {
  return dataOf(await server.request(CreateApiKeyDocument, { variables: { name, role, storeIds } })).createApiKey.key;
}

/** A test server and a VIEWER key on it: the setup of files that check what an ordinary caller gets. */
export async function startServerWithViewer(
  options: Parameters<typeof startTestServer>[0] = {},
  name = 'viewer',
): Promise<{ server: TestServer; viewerKey: string }> {
  const server = await startTestServer(options);
  return { server, viewerKey: await createKey(server, name, 'VIEWER') };
}
