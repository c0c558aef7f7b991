import { Argument, type Command } from 'commander';
import { jsonSchemaFor } from '../../core/documents/index.js';
import { printJson } from '../output.js';

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of a fleet inventory or a policy (for editors and CI checks)')
    .addArgument(new Argument('<kind>', 'which schema').choices(['fleet', 'policy']))
    .action((kind: 'fleet' | 'policy') => printJson(jsonSchemaFor(kind)));
}
