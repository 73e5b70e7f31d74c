// Test-only entry: the `rootless` command group on a bare program, printing
// errors the way cli/main.ts does. Lets the rootless tests run from the tsc
// output even while other entry points are unfinished.
import { Command, CommanderError } from 'commander';
import { registerRootless } from '../../../src/cli/commands/rootless.js';
import { errorMessage, SkiffError } from '../../../src/lib/errors.js';

const program = new Command('skiff').option('-c, --config <dir>').option('-f, --file <path>').exitOverride();
registerRootless(program);
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (e) {
  if (!(e instanceof CommanderError && e.exitCode === 0)) {
    process.stdout.write(JSON.stringify({ error: e instanceof CommanderError ? e.message : errorMessage(e) }) + '\n');
    process.exitCode = e instanceof SkiffError ? e.exitCode : e instanceof CommanderError ? 2 : 1;
  }
}
