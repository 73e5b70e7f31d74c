// `skiff-dns [-c|--config DIR] [-p|--port N] [-f|--filter-search-domain DOM] run|version`,
// the same flags as aardvark-dns (clap style: `-p 53`, `--port=53`, `-p53`).
// Hand-parsed: the daemon's start-up stays small.

export interface Args {
  command: 'run' | 'version' | 'help';
  config: string;
  port: number;
  /** lower case, without leading/trailing dots: `dns.podman` */
  searchDomain: string;
}

export const USAGE = `Usage: skiff-dns [OPTIONS] <run|version>

Options:
  -c, --config <DIR>                  Path to configuration directory
  -p, --port <PORT>                   Host port for the servers [default: 5533]
  -f, --filter-search-domain <DOM>    Filters search domain for backward compatibility with dnsname/dnsmasq [default: .dns.podman]
  -h, --help                          Print help
`;

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Args {
  const out: Args = { command: 'help', config: '/dev/stdin', port: 5533, searchDomain: 'dns.podman' };
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const take = (flag: string): string => {
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      if (!a.startsWith('--') && a.length > 2) return a.slice(2);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const flag = a.startsWith('--') ? a.split('=')[0]! : a.slice(0, 2);
    if (flag === '-c' || flag === '--config') out.config = take(flag);
    else if (flag === '-p' || flag === '--port') {
      const v = take(flag);
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`invalid port "${v}" for ${flag} (want 0-65535)`);
      out.port = n;
    } else if (flag === '-f' || flag === '--filter-search-domain') {
      out.searchDomain = take(flag).toLowerCase().replace(/^\.+|\.+$/g, '');
    } else if (flag === '-h' || flag === '--help') command = 'help';
    else if (flag === '-V' || flag === '--version') command = 'version';
    else if (a.startsWith('-')) throw new UsageError(`unknown option "${a}"`);
    else if (command === undefined) command = a;
    else throw new UsageError(`unexpected argument "${a}"`);
  }
  if (command === undefined || command === 'help') return { ...out, command: 'help' };
  if (command !== 'run' && command !== 'version') throw new UsageError(`unknown command "${command}" (want run or version)`);
  return { ...out, command };
}
