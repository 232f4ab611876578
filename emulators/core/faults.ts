/**
 * Fault injection, deterministic under a seed: a share of rate-limit answers, server errors, dropped
 * connections, answers lost after the request was carried out, and requests that never answer, plus
 * added latency. Set at start (`--faults`) and changed while running through the admin endpoint.
 */
export interface FaultPlan {
  /** Share of requests answered 429 with the vendor's body and Retry-After. */
  rateLimited: number;
  /** Share answered 500 (or the vendor's 5xx). */
  serverError: number;
  /** Share whose connection is destroyed without an answer. */
  dropped: number;
  /** Share carried out, then the connection is destroyed before the answer: the write happened, the client cannot know. */
  lost: number;
  /** Share that never answer (the client's timeout decides). */
  timeout: number;
  /** Added to every request. */
  latencyMs: number;
}

export type Fault = 'rate-limited' | 'server-error' | 'dropped' | 'lost' | 'timeout';

export const NO_FAULTS: FaultPlan = { rateLimited: 0, serverError: 0, dropped: 0, lost: 0, timeout: 0, latencyMs: 0 };

/** `429=0.1,500=0.05,drop=0.02,lost=0.01,timeout=0.01,latency=20ms` */
export function parseFaults(text: string | undefined): FaultPlan {
  const plan = { ...NO_FAULTS };
  if (!text) return plan;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, raw] = part.split('=');
    if (!key || raw === undefined) throw new Error(`fault '${part}' is not KEY=VALUE`);
    if (key === 'latency') {
      const match = /^(\d+)(ms)?$/.exec(raw);
      if (!match) throw new Error(`latency '${raw}' is not a number of milliseconds`);
      plan.latencyMs = Number(match[1]);
      continue;
    }
    const share = Number(raw);
    if (!(share >= 0 && share <= 1)) throw new Error(`fault share '${raw}' must be between 0 and 1`);
    const field = ({ '429': 'rateLimited', '500': 'serverError', '5xx': 'serverError', drop: 'dropped', dropped: 'dropped', lost: 'lost', timeout: 'timeout' } as const)[key as '429'];
    if (!field) throw new Error(`unknown fault '${key}' (use 429, 500, drop, lost, timeout, latency)`);
    plan[field] = share;
  }
  return plan;
}

/** Draws the fault (if any) for one request. */
export function drawFault(plan: FaultPlan, random: () => number): Fault | undefined {
  const roll = random();
  let edge = plan.rateLimited;
  if (roll < edge) return 'rate-limited';
  edge += plan.serverError;
  if (roll < edge) return 'server-error';
  edge += plan.dropped;
  if (roll < edge) return 'dropped';
  edge += plan.lost;
  if (roll < edge) return 'lost';
  edge += plan.timeout;
  if (roll < edge) return 'timeout';
  return undefined;
}
