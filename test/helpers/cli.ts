// Runs the built CLI as a user would, in a child process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The CLI of the build the tests run from (npm test builds into dist-test/, leaving dist/ to the user). */
export const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.js');

export function indrnn(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}
