// Where a command's input and output go. Injected so tests can run the CLI
// in-process; the real entry point uses stdin/stdout.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../lib/errors.js';
import { errnoNumber, errnoText } from '../netlink/wire.js';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readInput(file: string | undefined): string;
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readInput(file) {
    // netavark's man page says `-f -` is stdin; accept it
    if (file === undefined || file === '-') return readFileSync(0, 'utf8');
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      // netavark's text; which file goes to the debug log
      const code = (e as NodeJS.ErrnoException).code;
      const n = code === undefined ? undefined : errnoNumber(code);
      throw new ConfigError(`failed to load network options: IO error: ${n === undefined ? (e as Error).message : errnoText(n)}`, {
        cause: e,
        detail: `input file ${file}`,
      });
    }
  },
};
