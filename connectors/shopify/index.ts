/** Shopify Admin REST API on the official `shopify-api-node` SDK. See README.md beside this file. */
import type { ConnectorDeclaration } from '../../src/connector/types.js';
import { shopifyWebhook } from './webhook.js';
import { ShopifyClient } from './client.js';
import { customerWriter, inventoryLevelsEntity, listedEntity, orderChildEntity } from './entities.js';

export const shopify: ConnectorDeclaration<ShopifyClient> = {
  name: 'shopify',
  description: 'Shopify Admin REST API',
  open: (settings) => new ShopifyClient(settings),
  requestCount: (client) => client.requests,
  webhook: shopifyWebhook,
  entities: {
    customers: { ...listedEntity('customer', 'customers: read by update time; written with a ferry tag that makes a retried create find the first'), ...customerWriter() },
    orders: listedEntity('order', 'orders of every status', { status: 'any' }),
    products: listedEntity('product', 'products with their variants and SKUs'),
    transactions: orderChildEntity('transactions', 'money received on orders (captures and sales), with their order'),
    refunds: orderChildEntity('refunds', 'refunds, with their order'),
    fulfillments: orderChildEntity('fulfillments', 'fulfillments, with their order'),
    inventory_levels: inventoryLevelsEntity(),
  },
};
