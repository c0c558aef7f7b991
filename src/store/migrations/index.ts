import { statements as initial } from './0001-initial.js';
import { statements as admission } from './0002-admission.js';
import { statements as budgetHolds } from './0003-budget-holds.js';
import { statements as statementNotify } from './0004-statement-notify.js';
import { statements as eventsByHost } from './0005-events-by-host.js';

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** In order; a migration, once released, is never edited: a change is a new one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', statements: initial },
  { version: 2, name: 'admission', statements: admission },
  { version: 3, name: 'budget-holds', statements: budgetHolds },
  { version: 4, name: 'statement-notify', statements: statementNotify },
  { version: 5, name: 'events-by-host', statements: eventsByHost },
];
