/**
 * The Shopify emulator's GraphQL Admin API: executed on Shopify's own 2026-07 schema, over the store the
 * REST routes change, with Shopify's error shapes, cost-based throttling, bulk operations and Dev
 * Dashboard tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopify, type RunningShopify } from '../../../emulators/shopify/index.js';

let emu: RunningShopify;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- GraphQL answers are walked freely in assertions

async function gql(running: RunningShopify, query: string, variables: Json = {}, token = running.accessToken): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${running.url}/admin/api/2026-07/graphql.json`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': token }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as Json };
}
const rest = (path: string, body: object) => emu.server.inject('POST', `/admin/api/2026-07/${path}`, body).then((r) => r.body as Json);

let orderId: number;
beforeAll(async () => {
  emu = await startShopify({ seed: 9, bucketSize: 100_000, leakPerSecond: 100_000, bulkRunMs: 50 });
  const { product } = await rest('products.json', { product: { title: 'Lamp', variants: [{ sku: 'LAMP-1', price: '30.00', inventory_quantity: 4 }] } });
  const { customer } = await rest('customers.json', { customer: { email: 'b2b@shop.test', first_name: 'Ada', last_name: 'Byron', tags: 'vip' } });
  for (let i = 0; i < 3; i++) await rest('orders.json', { order: { customer: { id: customer.id }, line_items: [{ variant_id: product.variants[0].id, quantity: 1 }], financial_status: 'paid' } });
  const { order } = await rest('orders.json', { order: { customer: { id: customer.id }, line_items: [{ variant_id: product.variants[0].id, quantity: 2 }], shipping_lines: [{ title: 'Freight', price: '8.00' }], financial_status: 'pending', payment_terms: { payment_terms_name: 'Net 30', payment_terms_type: 'NET', due_in_days: 30 } } });
  orderId = order.id;
  await rest(`orders/${order.id}/transactions.json`, { transaction: { kind: 'capture', amount: order.total_price } });
  await rest(`orders/${order.id}/refunds.json`, { refund: { refund_line_items: [{ line_item_id: order.line_items[0].id, quantity: 1, restock_type: 'return' }], shipping: { full_refund: true } } });
});
afterAll(() => emu.close());

describe('Shopify emulator: GraphQL Admin API', () => {
  it('serves an order on terms with its lines, money, transactions and refunds, as the schema types them', async () => {
    const { status, body } = await gql(emu, `query($id: ID!) { order(id: $id) {
      id legacyResourceId name displayFinancialStatus paymentGatewayNames currencyCode createdAt
      paymentTerms { paymentTermsType dueInDays } totalPriceSet { shopMoney { amount currencyCode } }
      customer { legacyResourceId email tags numberOfOrders }
      lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } product { legacyResourceId } } }
      transactions(first: 5) { kind status gateway amountSet { shopMoney { amount } } }
      refunds(first: 5) { refundLineItems(first: 5) { nodes { quantity restockType subtotalSet { shopMoney { amount } } } } refundShippingLines(first: 2) { nodes { subtotalAmountSet { shopMoney { amount } } shippingLine { title } } } totalRefundedSet { shopMoney { amount } } }
    } }`, { id: `gid://shopify/Order/${orderId}` });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const order = body.data.order;
    expect(order).toMatchObject({ id: `gid://shopify/Order/${orderId}`, legacyResourceId: String(orderId), displayFinancialStatus: 'PARTIALLY_REFUNDED', paymentGatewayNames: ['manual'], currencyCode: 'USD', paymentTerms: { paymentTermsType: 'NET', dueInDays: 30 }, totalPriceSet: { shopMoney: { amount: '68.00', currencyCode: 'USD' } } });
    expect(order.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(order.customer).toEqual({ legacyResourceId: expect.any(String), email: 'b2b@shop.test', tags: ['vip'], numberOfOrders: '4' });
    expect(order.lineItems.nodes).toEqual([{ sku: 'LAMP-1', quantity: 2, originalUnitPriceSet: { shopMoney: { amount: '30.00' } }, product: { legacyResourceId: expect.any(String) } }]);
    expect(order.transactions.map((t: Json) => [t.kind, t.status, t.gateway])).toEqual([['CAPTURE', 'SUCCESS', 'manual'], ['REFUND', 'SUCCESS', 'manual']]);
    expect(order.refunds[0]).toEqual({ refundLineItems: { nodes: [{ quantity: 1, restockType: 'RETURN', subtotalSet: { shopMoney: { amount: '30.00' } } }] }, refundShippingLines: { nodes: [{ subtotalAmountSet: { shopMoney: { amount: '8.00' } }, shippingLine: { title: 'Freight' } }] }, totalRefundedSet: { shopMoney: { amount: '38.00' } } });
  });

  it("refuses a field the schema does not have, in Shopify's error shape, before running anything", async () => {
    const { status, body } = await gql(emu, '{ orders(first: 1) { nodes { gateway } } }');
    expect(status).toBe(200);
    expect(body).toEqual({ errors: [{ message: "Field 'gateway' doesn't exist on type 'Order'", locations: [{ line: 1, column: 30 }], path: ['query', 'orders', 'nodes', 'gateway'], extensions: { code: 'undefinedField', typeName: 'Order', fieldName: 'gateway' } }] });
  });

  it('pages by cursor in updated_at order, filters with the search syntax, and caps a page at 250', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const { body }: { body: Json } = await gql(emu, 'query($after: String) { orders(first: 2, after: $after, sortKey: UPDATED_AT, query: "updated_at:>=\'2020-01-01T00:00:00Z\'") { pageInfo { hasNextPage endCursor } nodes { legacyResourceId updatedAt } } }', { after });
      seen.push(...body.data.orders.nodes.map((n: Json) => n.legacyResourceId));
      after = body.data.orders.pageInfo.hasNextPage ? body.data.orders.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    expect(seen.at(-1)).toBe(String(orderId));
    const none = await gql(emu, '{ orders(first: 5, query: "updated_at:>\'2999-01-01\'") { nodes { id } } }');
    expect(none.body.data.orders.nodes).toEqual([]);
    const tagged = await gql(emu, '{ customers(first: 5, query: "tag:vip") { nodes { email } } }');
    expect(tagged.body.data.customers.nodes).toEqual([{ email: 'b2b@shop.test' }]);
    const big = await gql(emu, '{ orders(first: 251) { nodes { id } } }');
    expect(big.body.errors[0].message).toMatch(/between 0 and 250/);
  });

  it('reports requested and actual cost, refuses a query past the single-query limit, and throttles an empty bucket', async () => {
    const small = await startShopify({ seed: 1, bucketSize: 1_000, graphqlLimits: { maximumAvailable: 100, restoreRate: 1 } });
    try {
      const first = await gql(small, '{ products(first: 40) { nodes { title } } }');
      expect(first.body.extensions.cost).toEqual({ requestedQueryCost: 42, actualQueryCost: 2, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 98, restoreRate: 1 } });
      for (let i = 0; i < 40; i++) await small.server.inject('POST', '/admin/api/2026-07/products.json', { product: { title: `P${i}` } });
      const tooBig = await gql(small, '{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { name } } } } }');
      expect(tooBig.body.errors[0]).toMatchObject({ extensions: { code: 'MAX_COST_EXCEEDED' } });
      expect(tooBig.body.data).toBeUndefined();
      const answers = await Promise.all(Array.from({ length: 4 }, () => gql(small, '{ products(first: 40) { nodes { title } } }')));
      const throttled = answers.filter((a) => a.body.errors?.[0]?.extensions?.code === 'THROTTLED');
      expect(throttled.length).toBeGreaterThan(0);
      expect(throttled[0]!.body).toMatchObject({ errors: [{ message: 'Throttled' }], extensions: { cost: { requestedQueryCost: 42, actualQueryCost: null } } });
      expect(answers.find((a) => !a.body.errors)!.body.extensions.cost.actualQueryCost).toBe(42);
    } finally {
      await small.close();
    }
  });

  it('creates and updates customers, with user errors for what the merchant can fix', async () => {
    const create = 'mutation($input: CustomerInput!) { customerCreate(input: $input) { customer { id email tags } userErrors { field message } } }';
    const made = await gql(emu, create, { input: { email: 'new@shop.test', firstName: 'New', tags: ['ferry-1'] } });
    expect(made.body.data.customerCreate).toEqual({ customer: { id: expect.stringMatching(/^gid:\/\/shopify\/Customer\/\d+$/), email: 'new@shop.test', tags: ['ferry-1'] }, userErrors: [] });
    const again = await gql(emu, create, { input: { email: 'new@shop.test' } });
    expect(again.body.data.customerCreate).toEqual({ customer: null, userErrors: [{ field: ['email'], message: 'Email has already been taken' }] });
    const updated = await gql(emu, 'mutation($input: CustomerInput!) { customerUpdate(input: $input) { customer { lastName } userErrors { message } } }', { input: { id: made.body.data.customerCreate.customer.id, lastName: 'Comer' } });
    expect(updated.body.data.customerUpdate).toEqual({ customer: { lastName: 'Comer' }, userErrors: [] });
  });

  it('sets inventory with compare-and-set and an idempotency key, as 2026-04 requires', async () => {
    const ids = (await gql(emu, '{ productVariants(first: 5, query: "sku:LAMP-1") { nodes { inventoryQuantity inventoryItem { id } } } locations(first: 1) { nodes { id } } }')).body.data;
    const before = ids.productVariants.nodes[0].inventoryQuantity as number;
    const item = ids.productVariants.nodes[0].inventoryItem.id;
    const location = ids.locations.nodes[0].id;
    const set = (key: string | undefined, quantity: number, changeFromQuantity: number | null) =>
      gql(emu, `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input)${key ? ` @idempotent(key: "${key}")` : ''} { inventoryAdjustmentGroup { changes { delta quantityAfterChange } } userErrors { code message } } }`, { input: { name: 'available', reason: 'correction', quantities: [{ inventoryItemId: item, locationId: location, quantity, changeFromQuantity }] } });
    expect((await set(undefined, 9, null)).body.errors[0].message).toMatch(/@idempotent/);
    expect((await set('k1', 9, 1)).body.data.inventorySetQuantities.userErrors).toEqual([{ code: 'CHANGE_FROM_QUANTITY_STALE', message: expect.stringMatching(/does not match/) }]);
    const done = await set('k2', 9, null);
    expect(done.body.data.inventorySetQuantities).toEqual({ inventoryAdjustmentGroup: { changes: [{ delta: 9 - before, quantityAfterChange: 9 }] }, userErrors: [] });
    expect((await set('k2', 9, null)).body.data.inventorySetQuantities).toEqual(done.body.data.inventorySetQuantities);
    expect((await set('k2', 11, null)).body.data.inventorySetQuantities.userErrors[0].code).toBe('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
  });

  it('runs a bulk query in the background and leaves JSONL at a URL, nested nodes naming their parent', async () => {
    const query = '{ orders { edges { node { id name lineItems { edges { node { __typename id sku } } } refunds { id refundLineItems { edges { node { __typename quantity } } } } } } } }';
    const started = await gql(emu, 'mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id status } userErrors { message code } } }', { q: query });
    const { id } = started.body.data.bulkOperationRunQuery.bulkOperation;
    let operation: Json;
    do {
      await new Promise((resolve) => setTimeout(resolve, 30));
      operation = (await gql(emu, 'query($id: ID!) { bulkOperation(id: $id) { status objectCount rootObjectCount url } }', { id })).body.data.bulkOperation;
    } while (operation.status !== 'COMPLETED');
    expect((await gql(emu, '{ currentBulkOperation { id } }')).body.data.currentBulkOperation.id).toBe(id);
    const lines = (await (await fetch(operation.url)).text()).trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(operation).toMatchObject({ rootObjectCount: '4', objectCount: String(lines.length) });
    const onTerms = lines.find((l) => l.id === `gid://shopify/Order/${orderId}`)!;
    expect(onTerms).not.toHaveProperty('lineItems');
    expect(lines.filter((l) => l.__parentId === onTerms.id)).toEqual([{ __typename: 'LineItem', id: expect.any(String), sku: 'LAMP-1', __parentId: onTerms.id }]);
    expect(lines.filter((l) => l.__parentId === onTerms.refunds[0].id)).toEqual([{ __typename: 'RefundLineItem', quantity: 1, __parentId: onTerms.refunds[0].id }]);
    const six = '{ products { edges { node { id variants { edges { node { id } } } media { edges { node { id } } } collections { edges { node { id } } } metafields { edges { node { id } } } sellingPlanGroups { edges { node { id } } } } } } }';
    const refused = await gql(emu, 'mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id } userErrors { message code } } }', { q: six });
    expect(refused.body.data.bulkOperationRunQuery).toEqual({ bulkOperation: null, userErrors: [{ message: expect.stringMatching(/more than 5 connections/), code: 'INVALID' }] });
  });

  it("gives a Dev Dashboard app a token by the client-credentials grant, and refuses it once expired", async () => {
    const short = await startShopify({ seed: 2, tokenTtlSeconds: 1 });
    try {
      const grant = (body: Json) => fetch(`${short.url}/admin/oauth/access_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await grant({ client_id: short.clientId, client_secret: 'wrong', grant_type: 'client_credentials' })).status).toBe(401);
      const answer = (await (await grant({ client_id: short.clientId, client_secret: short.clientSecret, grant_type: 'client_credentials' })).json()) as Json;
      expect(answer).toEqual({ access_token: expect.stringMatching(/^shpat_/), scope: expect.any(String), expires_in: 1 });
      expect((await gql(short, '{ shop { name } }', {}, answer.access_token)).body.data.shop.name).toBe(short.shop);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await gql(short, '{ shop { name } }', {}, answer.access_token);
      expect(expired).toEqual({ status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } });
    } finally {
      await short.close();
    }
  });
});
