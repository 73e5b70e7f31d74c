// `skiff daemon status|stop`: the resident engine (skiffd) serving this
// process' namespaces. Prints one JSON value; no daemon is not an error.
import type { Command } from 'commander';
import { SkiffError } from '../../lib/errors.js';
import { processIo, type Io } from '../io.js';

export function registerDaemon(program: Command, io: Io = processIo, env: NodeJS.ProcessEnv = process.env): void {
  const daemon = program.command('daemon').description('show or stop skiffd, the resident engine behind bin/skiff-client');

  /** Sends `command` to the first daemon that answers; the socket is the first candidate when none does. */
  async function ask(command: 'status' | 'stop'): Promise<{ socket: string | undefined; reply: string | undefined }> {
    const { control, candidateSockets } = await import('../../daemon/control.js');
    let socket: string | undefined;
    for (const s of candidateSockets(env)) {
      socket ??= s;
      const reply = await control(s, command);
      if (reply !== undefined) return { socket: s, reply };
    }
    return { socket, reply: undefined };
  }

  daemon
    .command('status')
    .description('print {"running": ...} and, when it runs, its pid, build, socket, requests served and RSS')
    .action(async () => {
      const { socket, reply } = await ask('status');
      if (reply?.startsWith('status ')) {
        const info = JSON.parse(reply.slice('status '.length)) as Record<string, unknown>;
        io.stdout(JSON.stringify({ running: true, ...info }, null, 2) + '\n');
      } else if (reply !== undefined) {
        throw new SkiffError(`skiffd at ${socket} refused: ${reply}`);
      } else {
        io.stdout(JSON.stringify({ running: false, socket: socket ?? null }, null, 2) + '\n');
      }
    });

  daemon
    .command('stop')
    .description('stop skiffd after the request it is serving; prints {"stopped": true|false}')
    .action(async () => {
      const { socket, reply } = await ask('stop');
      io.stdout(JSON.stringify({ stopped: reply === 'stopping', socket: socket ?? null }) + '\n');
    });
}
