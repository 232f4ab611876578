/**
 * Named points where the crash tests kill Ferry at the worst moment: `FERRY_FAILPOINT=name[:n]` sends
 * SIGKILL to this process the n-th time (default: the first) execution passes that point. Unset, as in
 * production, a failpoint is one comparison.
 */
const [wantedName, wantedNth] = (process.env.FERRY_FAILPOINT ?? '').split(':');
let passes = 0;

export function failpoint(name: string): void {
  if (name !== wantedName) return;
  passes++;
  if (passes >= Number(wantedNth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
