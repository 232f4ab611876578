/**
 * Who holds a run lock: `host:pid:nonce`. A lock whose holder ran on this host and whose process is
 * gone (killed, crashed) is abandoned and may be taken at once, instead of after its lease expires.
 * Holders on other hosts are never judged: only their lease says whether they are alive.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export function newLockOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function isAbandoned(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
