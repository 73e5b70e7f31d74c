// `skiff-cni` (installed as /opt/cni/bin/skiff): the CNI plugin entry point.
// Everything it prints on stdout is for the runtime; logs go to stderr.
import { readFileSync } from 'node:fs';
import { runCni } from './plugin.js';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return ''; // VERSION may come without stdin
  }
}

// `skiff-cni --version` for people; runtimes use CNI_COMMAND=VERSION
if (process.argv.includes('--version') || process.argv.includes('-V')) {
  process.stdout.write('skiff-cni: CNI plugin, spec 1.1.0 (also 0.3.0, 0.3.1, 0.4.0, 1.0.0)\n');
} else {
  void runCni(process.env, process.env.CNI_COMMAND === 'VERSION' ? '' : readStdin(), { stdout: (t) => process.stdout.write(t) }).then((code) => {
    process.exitCode = code;
  });
}
