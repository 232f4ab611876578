const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest duration Ferry accepts anywhere: ten years is no wait anyone means, and past it dates stop being dates. */
export const LONGEST_DURATION = '3650d';
const LONGEST_MS = 3650 * UNIT_MS.d;

/** `500ms`, `30s`, `5m`, `24h`, `7d` → milliseconds; longer than LONGEST_DURATION is refused. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration (e.g. 500ms, 30s, 5m, 24h, 7d)`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!(ms <= LONGEST_MS)) throw new Error(`'${text}' is longer than the longest a flow accepts (${LONGEST_DURATION})`);
  return ms;
}

/** `24h`, `7d`, or an ISO date → the Date that far back (or that date). */
export function parseSince(text: string, now = new Date()): Date {
  if (/^\d+(ms|s|m|h|d)$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text));
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`'${text}' is neither a duration (24h, 7d) nor an ISO date`);
  return date;
}
