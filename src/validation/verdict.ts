/** What validation decided about one mapped record. The runner switches on `kind`. */
export type Verdict =
  | { kind: 'ok' }
  | { kind: 'reject'; reasons: string[] }
  | { kind: 'hold'; rule: string; reason: string }
  | { kind: 'skip'; rule: string; reason: string };

export const OK: Verdict = { kind: 'ok' };
