/**
 * A record's lineage across systems, from the ledger's cross-references. Two kinds of link:
 *  - "became": a flow wrote source S as target T. S and T are one business record in two systems, so
 *    the trace passes through in both directions.
 *  - "refers to": a record's mapping looked up a parent (a payment its order's invoice, an order its
 *    customer). From the starting record the trace climbs to parents and descends to children, but never
 *    climbs and then descends again, so a trace of one order does not pull in every other order that
 *    sold the same product.
 */
import type { ConnectorRegistry } from '../connector/types.js';
import { ConfigError } from '../errors.js';
import type { Flow } from '../flow/types.js';
import { type Ledger, type RecordState, splitKey } from '../ledger/ledger.js';

export interface TraceRecordState {
  flow: string;
  status: RecordState['status'];
  targetId?: string;
  reason?: string;
  at: string;
}

export interface TraceNode {
  key: string;
  /** How this node is linked to its parent in the trace tree; absent for the starting record. */
  link?: { kind: 'became' | 'became from' | 'refers to' | 'referred to by'; flow: string; at: string };
  /** Where each flow that reads this record stands with it (includes records that never arrived). */
  states: TraceRecordState[];
  children: TraceNode[];
}

/** `leaf`: shown, not followed (what a parent became: the trace of an order does not wander off into stock levels). */
type Direction = 'both' | 'up' | 'down' | 'leaf';

/** `quickbooks/payment/88` → `quickbooks/payments/88`: entity names are matched loosely (singular, case, `_`). */
export function normalizeKey(input: string, registry: ConnectorRegistry): string {
  const parts = input.split('/');
  if (parts.length < 3 || parts.some((p) => !p)) throw new ConfigError(`trace wants SYSTEM/ENTITY/ID, e.g. shopify/orders/1001 or quickbooks/payment/88 (got '${input}')`);
  const [system, entity, ...rest] = parts as [string, string, ...string[]];
  const connector = registry.get(system.toLowerCase());
  if (!connector) throw new ConfigError(`unknown system '${system}' (systems: ${[...registry.keys()].join(', ')})`);
  const loose = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const wanted = loose(entity);
  const name = Object.keys(connector.entities).find((e) => [wanted, `${wanted}s`, `${wanted}es`].includes(loose(e)));
  if (!name) throw new ConfigError(`${connector.name} has no entity '${entity}' (entities: ${Object.keys(connector.entities).join(', ')})`);
  return `${connector.name}/${name}/${rest.join('/')}`;
}

export async function buildTrace(ledger: Ledger, flows: Flow[], startKey: string): Promise<TraceNode> {
  const bySourcePrefix = new Map<string, Flow[]>();
  for (const flow of flows) {
    const prefix = `${flow.source.connector}/${flow.source.entity}`;
    bySourcePrefix.set(prefix, [...(bySourcePrefix.get(prefix) ?? []), flow]);
  }
  const flowByName = new Map(flows.map((f) => [f.name, f]));
  const seen = new Set<string>();

  // Every key here is the start key (checked) or one the ledger linked: `system/entity/id`.
  const split = (key: string) => splitKey(key) ?? { prefix: key, id: '' };

  const statesOf = async (key: string): Promise<TraceRecordState[]> => {
    const { prefix, id } = split(key);
    const out: TraceRecordState[] = [];
    for (const flow of bySourcePrefix.get(prefix) ?? []) {
      const [state] = await ledger.getRecords(flow.name, [id]);
      if (state) out.push({ flow: flow.name, status: state.status, targetId: state.targetId, reason: state.error?.message ?? state.reason, at: state.lastSyncedAt ?? state.statusSince });
    }
    return out;
  };

  const visit = async (key: string, direction: Direction, link?: TraceNode['link']): Promise<TraceNode> => {
    seen.add(key);
    const node: TraceNode = { key, link, states: await statesOf(key), children: [] };
    const next: { key: string; direction: Direction; link: NonNullable<TraceNode['link']> }[] = [];
    if (direction === 'leaf') return node;
    for (const ref of await ledger.crossReferences(key)) {
      if (ref.key.startsWith('flow:')) {
        // This record looked up a parent: `flow:NAME:ID` is source ID of flow NAME.
        if (direction === 'down') continue;
        const [, parentFlow, ...idParts] = ref.key.split(':');
        const parent = flowByName.get(parentFlow!);
        if (parent) next.push({ key: `${parent.source.connector}/${parent.source.entity}/${idParts.join(':')}`, direction: 'up', link: { kind: 'refers to', flow: ref.flow, at: ref.at } });
        continue;
      }
      next.push({ key: ref.key, direction: direction === 'up' ? 'leaf' : direction, link: { kind: ref.direction === 'to' ? 'became' : 'became from', flow: ref.flow, at: ref.at } });
    }
    if (direction !== 'up') {
      // Children: records whose mapping looked this one up, through any flow that reads it.
      const { prefix, id } = split(key);
      for (const flow of bySourcePrefix.get(prefix) ?? []) {
        for (const ref of await ledger.crossReferences(`flow:${flow.name}:${id}`)) {
          next.push({ key: ref.key, direction: 'down', link: { kind: 'referred to by', flow: ref.flow, at: ref.at } });
        }
      }
    }
    for (const n of next) {
      // A lineage that comes back round (deal → invoice → paid → the deal updated) shows its last hop, once.
      if (n.key === startKey && n.link.kind === 'became' && key !== startKey) {
        node.children.push({ key: n.key, link: n.link, states: [], children: [] });
        continue;
      }
      if (seen.has(n.key)) continue;
      node.children.push(await visit(n.key, n.direction, n.link));
    }
    return node;
  };

  return visit(startKey, 'both');
}

export function renderTrace(root: TraceNode): string {
  const lines: string[] = [];
  const describe = (node: TraceNode) => {
    const states = node.states.map((s) => `${s.flow}: ${s.status}${s.reason && s.status !== 'synced' ? ` (${s.reason})` : ''}`);
    return states.length ? `   [${states.join('; ')}]` : '';
  };
  lines.push(`${root.key}${describe(root)}`);
  const walk = (node: TraceNode, indent: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      const link = child.link!;
      lines.push(`${indent}${last ? '└─' : '├─'} ${link.kind} ${child.key}  via ${link.flow} at ${link.at.replace('T', ' ').slice(0, 19)}${describe(child)}`);
      walk(child, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  walk(root, '');
  if (!root.children.length && !root.states.length) lines.push('  (the ledger has nothing on this record: no flow has read it or written it)');
  return lines.join('\n');
}
