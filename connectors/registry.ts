/** The connectors the engine knows. A connector is added here and nowhere else. */
import { createRegistry, type ConnectorRegistry } from '../src/connector/types.js';

export const registry: ConnectorRegistry = createRegistry([]);
