/** The connectors the engine knows. A connector is added here and nowhere else. */
import { createRegistry, type ConnectorRegistry } from '../src/connector/types.js';
import { hubspot } from './hubspot/index.js';
import { quickbooks } from './quickbooks/index.js';
import { shopify } from './shopify/index.js';
import { stripe } from './stripe/index.js';

export const registry: ConnectorRegistry = createRegistry([shopify, hubspot, stripe, quickbooks]);
