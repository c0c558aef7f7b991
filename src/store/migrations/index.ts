import { statements as initial } from './0001-initial.js';

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** In order; a migration, once released, is never edited: a change is a new one. */
export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial', statements: initial }];
