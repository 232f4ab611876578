const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `500ms`, `30s`, `5m`, `24h`, `7d` → milliseconds. The flow schema has already checked the form. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration (e.g. 500ms, 30s, 5m, 24h, 7d)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** `24h`, `7d`, or an ISO date → the Date that far back (or that date). */
export function parseSince(text: string, now = new Date()): Date {
  if (/^\d+(ms|s|m|h|d)$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text));
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`'${text}' is neither a duration (24h, 7d) nor an ISO date`);
  return date;
}
