import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../project-root.js';

export interface InstanceIdentity {
  /** host:pid:random — unique even for two instances in one process (tests) or a reused pid. */
  id: string;
  host: string;
  pid: number;
  /** package.json version of the code this instance runs. */
  version: string;
  /** epoch ms */
  startedAt: number;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

export function createInstanceIdentity(startedAt: Date): InstanceIdentity {
  const host = hostname();
  return {
    id: `${host}:${process.pid}:${randomBytes(4).toString('hex')}`,
    host,
    pid: process.pid,
    version: packageVersion(),
    startedAt: startedAt.getTime(),
  };
}
