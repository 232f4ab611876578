/**
 * Where rotated OAuth tokens live: one JSON file, readable by its owner only, outside git. A rotated
 * refresh token is written here (atomically) before the new token is used, so a crash in between
 * never strands the connection with a token only the dead process knew.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ConnectorContext } from '../connector/types.js';
import { ensureOwnerOnlyFile } from '../owner-only.js';

type Secrets = Record<string, Record<string, string>>;

export class SecretsFile implements ConnectorContext {
  /** `legacy`: a file an earlier default put elsewhere, read when this one has nothing for the connection. */
  constructor(
    private readonly path: string,
    private readonly legacy?: string,
  ) {}

  private read(path = this.path): Secrets {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8') || '{}') as Secrets) : {};
  }

  async loadSecret(connection: string, key: string): Promise<string | undefined> {
    return this.read()[connection]?.[key] ?? (this.legacy ? this.read(this.legacy)[connection]?.[key] : undefined);
  }

  async saveSecret(connection: string, key: string, value: string): Promise<void> {
    const secrets = this.read();
    secrets[connection] = { ...secrets[connection], [key]: value };
    ensureOwnerOnlyFile(this.path);
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
