/** Shopify GraphQL Admin API on the official `shopify-api-node` SDK. See README.md beside this file. */
import type { ConnectorDeclaration } from '../../src/connector/types.js';
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
