/** Shopify GraphQL Admin API on the official `shopify-api-node` SDK. See README.md beside this file. */
import type { ConnectorDeclaration } from '../../src/connector/types.js';
import { CLIENT_ID, TIMEOUT_MS } from '../shared/options.js';
import { shopifyAdminUrl, shopifyLabel } from './admin.js';
import type { ShopifyClient } from './client.js';
import { customersEntity, customerWriter, inventoryLevelsEntity, orderChildEntity, ordersEntity, productsEntity } from './entities.js';
import { shopifyWebhook } from './webhook.js';

export const shopify: ConnectorDeclaration<ShopifyClient> = {
  name: 'shopify',
  description: 'Shopify GraphQL Admin API',
  // The SDK is loaded when a connection is opened, so commands that only read flows start at once.
  open: async (settings) => new (await import('./client.js')).ShopifyClient(settings),
  requestCount: (client) => client.requests,
  check: async (...args) => (await import('./check.js')).checkShopify(...args),
  webhook: shopifyWebhook,
  options: {
    shop: { type: 'string', description: 'The store: its {shop}.myshopify.com name.' },
    client_id: CLIENT_ID,
    client_secret: { type: 'string', secret: true, description: "A Dev Dashboard app's client secret: the connector buys its access token with it (client credentials)." },
    access_token: { type: 'string', secret: true, description: "A legacy custom app's Admin API token, instead of client_id and client_secret." },
    api_version: { type: 'string', description: 'The Admin API version (2026-07); documents are checked against that version.' },
    timeout_ms: TIMEOUT_MS,
    bulk_threshold: { type: 'number', description: 'More changed orders than this are read by one bulk operation (250).' },
    read_cache_seconds: { type: 'number', description: 'A read starting this soon after another reuses its orders (60).' },
  },
  label: shopifyLabel,
  adminUrl: shopifyAdminUrl,
  entities: {
    customers: { ...customersEntity(), ...customerWriter() },
    orders: ordersEntity(),
    products: productsEntity(),
    transactions: orderChildEntity('transactions', 'money received on orders (captures and sales), with their order'),
    refunds: orderChildEntity('refunds', 'refunds, with their order'),
    inventory_levels: inventoryLevelsEntity(),
  },
};
