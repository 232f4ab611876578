/**
 * What a flow's expressions can call besides JSONata's own: `$lookup` and `$sourceOf` through the
 * ledger, `$ref` through the target's named lists, and `$creditExceeded` through the target's customers.
 */
import { PermanentError } from '../errors.js';
import type { RecordStore } from '../ledger/ledger.js';
import { creditCheck } from '../mapping/credit.js';
import type { Bindings } from '../mapping/expression.js';
import { ferryFunctions } from '../mapping/functions.js';
import type { OpenEntity } from './connections.js';

type Retry = <T>(task: () => Promise<T>) => Promise<T>;

/** `lookups` collects the parents each record's mapping looked up (`flow:parentFlow:sourceId`), for lineage. */
export function flowBindings(ledger: Pick<RecordStore, 'findTarget' | 'findSource'>, target: OpenEntity, retry: Retry, lookups: Set<string>): Bindings {
  return {
    ...ferryFunctions({
      target: (parentFlow, sourceId) => {
        lookups.add(`flow:${parentFlow}:${sourceId}`);
        return ledger.findTarget(parentFlow, sourceId);
      },
      source: (otherFlow, targetId) => ledger.findSource(otherFlow, targetId),
    }),
    ref: namedReferences(target, retry),
    creditExceeded: creditCheck(async (id) => {
      const customers = Object.values(target.connector.entities).find((e) => e.creditOf && e.get);
      if (!customers) throw new PermanentError(`$creditExceeded: ${target.connector.name} keeps no customer credit limits`);
      const [customer] = await retry(() => customers.get!(target.client, [id]));
      return customer && customers.creditOf!(customer);
    }),
  };
}

/**
 * `$ref('Term', 'Net 30')`: the id of a record the target keeps by name (a QuickBooks term, account,
 * payment method), asked once per run, so a flow fits any company instead of carrying one's ids.
 */
function namedReferences({ connector, client }: OpenEntity, retry: Retry): (type: unknown, name: unknown) => Promise<string> {
  const found = new Map<string, Promise<string>>();
  return (type, name) => {
    const key = `${String(type)}\u0000${String(name)}`;
    let id = found.get(key);
    if (!id) {
      id = (async () => {
        if (!connector.reference) throw new PermanentError(`$ref: ${connector.name} keeps nothing by name`, { code: 'reference' });
        const answer = await retry(() => connector.reference!(client, String(type), String(name)));
        if (answer === undefined) throw new PermanentError(`$ref: ${connector.name} has no ${String(type)} named '${String(name)}' (check the name in its settings, or the flow)`, { code: 'reference' });
        return answer;
      })();
      // A failure is not kept: the next record asks again (a busy service, or a record created meanwhile).
      id.catch(() => found.delete(key));
      found.set(key, id);
    }
    return id;
  };
}
