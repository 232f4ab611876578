/** Shopify GraphQL Admin API on the official `shopify-api-node` SDK. See README.md beside this file. */
import type { ConnectorDeclaration } from '../../src/connector/types.js';
import { ShopifyClient } from './client.js';
import { customersEntity, customerWriter, inventoryLevelsEntity, orderChildEntity, ordersEntity, productsEntity } from './entities.js';
import { checkShopify } from './check.js';
import { shopifyWebhook } from './webhook.js';

export const shopify: ConnectorDeclaration<ShopifyClient> = {
  name: 'shopify',
  description: 'Shopify GraphQL Admin API',
  open: (settings) => new ShopifyClient(settings),
  requestCount: (client) => client.requests,
  check: checkShopify,
  webhook: shopifyWebhook,
  entities: {
    customers: { ...customersEntity(), ...customerWriter() },
    orders: ordersEntity(),
    products: productsEntity(),
    transactions: orderChildEntity('transactions', 'money received on orders (captures and sales), with their order'),
    refunds: orderChildEntity('refunds', 'refunds, with their order'),
    inventory_levels: inventoryLevelsEntity(),
  },
};
