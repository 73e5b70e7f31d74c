// A full garbage collection on demand, for daemons that give memory back once
// idle (skiffd, skiff-dns). --expose-gc set at run time reaches only contexts
// made afterwards, so the function comes from a fresh one.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function fullGc(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
