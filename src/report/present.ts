/**
 * Records as people know them, for reports: the name a connector gives a record (an order's name, an
 * invoice's number) and its pages in the vendors' admins, from each connection's settings.
 */
import type { ConnectionSettings, ConnectorRegistry, JsonObject } from '../connector/types.js';
import type { Endpoint, Flow } from '../flow/types.js';
import type { RecordState } from '../ledger/ledger.js';
import type { RecordLink, RecordPresenter } from './sync-info.js';

export function recordPresenter(registry: ConnectorRegistry, connections: Map<string, ConnectionSettings>): RecordPresenter {
  const link = (end: Endpoint, id: string | undefined, record?: JsonObject): RecordLink[] => {
    const connector = registry.get(end.connector);
    const settings = connections.get(end.connection);
    const url = id && settings ? connector?.adminUrl?.(settings, end.entity, id, record) : undefined;
    return url ? [{ system: end.connector, url }] : [];
  };
  return (flow: Flow, record: RecordState) => ({
    label: record.source ? registry.get(flow.source.connector)?.label?.(flow.source.entity, record.source) : undefined,
    links: [...link(flow.source, record.sourceId, record.source), ...link(flow.target, record.targetId)],
  });
}
