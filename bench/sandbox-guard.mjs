// The check every bench script makes before it creates anything: root (it
// creates network namespaces) and a private /run (scripts/in-sandbox.sh), so
// no bench ever writes the machine's own /run. `--inner` is a bench re-running
// itself inside the namespace it made, already past this check.
export function requireRootSandbox() {
  if (process.getuid() !== 0) {
    console.error('needs root: it creates network namespaces');
    process.exit(1);
  }
  if (!process.env.SKIFF_IN_SANDBOX && !process.argv.includes('--inner')) {
    console.error('run it through scripts/in-sandbox.sh so /run is private');
    process.exit(1);
  }
}
