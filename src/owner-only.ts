import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates (or tightens) a file only its owner may read: the ledger and logs hold customer data. */
export function ensureOwnerOnlyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/** Writes a file only its owner may read (a report names customers and amounts, as the ledger does). */
export function writeOwnerOnlyFile(path: string, text: string): void {
  ensureOwnerOnlyFile(path);
  writeFileSync(path, text);
}
