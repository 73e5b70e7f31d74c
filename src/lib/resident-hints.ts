// Hints to a resident process (skiffd) about what a request is going to need,
// given as soon as the CLI knows, so it can get ready while the request does
// other work. Without a resident process (the CLI in its own process) they do
// nothing. Kept on globalThis, like lib/exec.ts' IN_PROCESS_EXEC, because
// skiffd loads the CLI from its own bundle.

export const DNS_START_HINT = Symbol.for('skiff.hint.dnsStart');

type Hint = () => void;

/** This setup has DNS-enabled networks: it may start a DNS server. */
export function hintDnsStart(): void {
  (globalThis as { [DNS_START_HINT]?: Hint })[DNS_START_HINT]?.();
}

/** Installs the resident process's answer to hintDnsStart(). */
export function onDnsStartHint(fn: Hint): void {
  (globalThis as { [DNS_START_HINT]?: Hint })[DNS_START_HINT] = fn;
}
