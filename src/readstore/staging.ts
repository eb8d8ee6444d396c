import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StagingStore } from './port';
import { SqliteReadStore } from './sqlite';

/** Whether a process with this pid runs on this machine. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Staging stores for the projection runner's staged builds (runner.ts, `buildStaged`): an
 * embedded SQLite read store per build in `dir`, named after this process, deleted once loaded.
 * Files a killed process left behind (its pid gone) are deleted when the next one is made.
 */
export const sqliteStaging = (dir: string) => (): Promise<StagingStore> => {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) rmSync(join(dir, name), { force: true });
  }
  const file = join(dir, `${process.pid}-${randomUUID()}.db`);
  const store = new SqliteReadStore(file);
  return Promise.resolve({
    store,
    async dispose() {
      await store.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    },
  });
};
