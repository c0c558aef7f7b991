import { Command, CommanderError } from 'commander';
import { formatProblem, BadInput, HvpatchError } from '../core/errors.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerFleetCommands } from './commands/fleet.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerNeedsCommand } from './commands/needs.js';
import { registerComplianceCommand } from './commands/compliance.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerServeCommand } from './commands/serve.js';
import { registerRunCommand } from './commands/run.js';
import { registerCampaignCommands } from './commands/campaign-control.js';
import { EXIT, exitCodeFor } from './output.js';

const program = new Command('hvpatch')
  .description('Patch fleets of hypervisors with the least possible impact on the guests running on them.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

registerValidateCommand(program);
registerSchemaCommand(program);
registerDemoCommand(program);
registerNeedsCommand(program);
registerComplianceCommand(program);
registerPlanCommand(program);
registerServeCommand(program);
registerRunCommand(program);
registerCampaignCommands(program);
registerFleetCommands(program);

program.addHelpText(
  'after',
  `
Start with:
  hvpatch demo                               a campaign on a simulated fleet
  hvpatch fleet generate --hosts 50 --seed 1 --out fleet.yaml
  hvpatch validate fleet.yaml policy.yaml`,
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Usage mistakes exit 2, like the bad input they are; --help and --version exit 0.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  } else if (error instanceof BadInput) {
    for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    process.exitCode = exitCodeFor(error);
  } else if (error instanceof HvpatchError) {
    process.stderr.write(`hvpatch: ${error.message}\n`);
    process.exitCode = exitCodeFor(error);
  } else {
    process.stderr.write(
      `hvpatch: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = exitCodeFor(error);
  }
}
