/**
 * Vitest globalSetup: one throwaway PostgreSQL cluster for the whole run, for the tests that
 * must also pass on a real server. Tests get its address with `inject('postgres')` and make a
 * database of their own in it (`createDatabase`); a test that stops or restarts a server
 * makes a cluster of its own (`createCluster`), so it cannot disturb files running beside it.
 * Without the server binaries the run fails here, naming the script that installs them.
 */
import type { TestProject } from 'vitest/node';
import { createCluster, destroyCluster, type PostgresCluster } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresCluster;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await createCluster();
  project.provide('postgres', cluster);
  return () => destroyCluster(cluster);
}
