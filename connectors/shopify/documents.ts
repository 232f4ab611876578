/**
 * Every GraphQL document the connector sends, in one place: a test validates each against Shopify's
 * schema (API 2026-07), so a field Shopify removes fails CI before it fails a store. Nested pages are
 * kept small, because Shopify charges a query for every node it could return (an order page of 7 here
 * asks for 940 of the 1,000 a query may cost, though it spends about 25 points an order); an order whose lines, refunds or transactions
 * overflow them is completed by the follow-up documents below.
 */
const money = '{ shopMoney { amount currencyCode } }';

export const LIMITS = { lineItems: 5, shippingLines: 3, transactions: 5, refunds: 1, refundLineItems: 5, refundParts: 3 };

/**
 * What a line and a transaction carry. Every object a query selects costs a point (a money amount two:
 * the bag and its shop money), so a line names its product but not its variant or its own taxes (the
 * order's taxes are there), and a transaction does not name its parent: about 25 points an order.
 */
const LINE = `id name title sku quantity taxable requiresShipping product { legacyResourceId } originalUnitPriceSet ${money} totalDiscountSet ${money}`;
const TRANSACTION = `id kind status gateway processedAt createdAt amountSet ${money}`;

/**
 * The selections of an order, for a page (`first:` on every nested list, `nodes` and `pageInfo`) or for
 * a bulk operation (no sizes: Shopify reads all; `edges { node }` with `__typename`, because a nested
 * connection's nodes arrive as lines of their own, named only by their type and parent).
 */
const connection = (bulk: boolean, field: string, size: number, inner: string) =>
  bulk ? `${field} { edges { node { __typename ${inner} } } }` : `${field}(first: ${size}) { pageInfo { hasNextPage endCursor } nodes { ${inner} } }`;

function orderFields(bulk: boolean): string {
  const list = (field: string, size: number) => (bulk ? field : `${field}(first: ${size})`);
  return `id legacyResourceId name email phone note createdAt updatedAt processedAt cancelledAt closedAt
  currencyCode displayFinancialStatus displayFulfillmentStatus paymentGatewayNames tags test
  customer { legacyResourceId email firstName lastName }
  totalPriceSet ${money} subtotalPriceSet ${money} totalTaxSet ${money} totalDiscountsSet ${money} totalOutstandingSet ${money}
  totalRefundedSet ${money} transactionsCount { count }
  paymentTerms { id paymentTermsName paymentTermsType dueInDays }
  taxLines { title rate priceSet ${money} }
  ${connection(bulk, 'lineItems', LIMITS.lineItems, LINE)}
  ${connection(bulk, 'shippingLines', LIMITS.shippingLines, `title code originalPriceSet ${money}`)}
  ${list('transactions', LIMITS.transactions)} { ${TRANSACTION} }
  ${list('refunds', LIMITS.refunds)} { ${refundFields(bulk, LIMITS.refundLineItems)} }`;
}

function refundFields(bulk: boolean, lines: number): string {
  return `id legacyResourceId createdAt processedAt note
  ${connection(bulk, 'refundLineItems', lines, `id quantity restockType subtotalSet ${money} totalTaxSet ${money} lineItem { id name sku product { legacyResourceId } }`)}
  ${connection(bulk, 'refundShippingLines', LIMITS.refundParts, `id subtotalAmountSet ${money} taxAmountSet ${money} shippingLine { title }`)}
  totalRefundedSet ${money}`;
}

/** Orders changed since a time, oldest change first; `$first` orders a page. */
export const ORDERS = `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } nodes { ${orderFields(false)} } }
}`;
export const ORDERS_PAGE = 7;

/** The rest of an order's lines, when a page held only the first few. */
export const ORDER_LINES = `query OrderLines($id: ID!, $after: String) {
  order(id: $id) { lineItems(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${LINE} } } }
}`;

/** All of an order's transactions and the ids of its refunds, when the page held only the first few. */
export const ORDER_MONEY = `query OrderMoney($id: ID!) {
  order(id: $id) { transactions(first: 100) { ${TRANSACTION} } refunds(first: 100) { id } }
}`;

/** One refund with up to 50 lines. */
export const REFUND = `query Refund($id: ID!) { refund(id: $id) { ${refundFields(false, 50)} } }`;

/** A full read of orders as a bulk operation. */
export const BULK_ORDERS = (query: string) => `{
  orders(query: ${JSON.stringify(query)}, sortKey: UPDATED_AT) { edges { node { ${orderFields(true)} } } }
}`;

export const ORDERS_COUNT = `query OrdersCount($query: String) { ordersCount(query: $query, limit: null) { count precision } }`;

export const BULK_RUN = `mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) { bulkOperation { id status } userErrors { field message code } }
}`;

export const BULK_STATUS = `query BulkStatus($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount url partialDataUrl }
}`;

const CUSTOMER = `id legacyResourceId email firstName lastName phone note tags state taxExempt verifiedEmail createdAt updatedAt
  numberOfOrders amountSpent { amount currencyCode }`;

export const CUSTOMERS = `query Customers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } nodes { ${CUSTOMER} } }
}`;

export const CUSTOMERS_BY_ID = `query CustomersById($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { ${CUSTOMER} } } }`;

const VARIANT = 'id legacyResourceId title sku price position taxable barcode inventoryQuantity createdAt updatedAt inventoryItem { legacyResourceId }';

/** A product with its first 20 variants; the rest of a larger one are read by PRODUCT_VARIANTS. */
const PRODUCT = `id legacyResourceId title handle vendor productType status tags descriptionHtml createdAt updatedAt
  variants(first: 20) { pageInfo { hasNextPage } nodes { ${VARIANT} } }`;

export const PRODUCT_VARIANTS = `query ProductVariants($query: String!, $after: String) {
  productVariants(first: 250, after: $after, query: $query) { pageInfo { hasNextPage endCursor } nodes { ${VARIANT} } }
}`;

export const PRODUCTS = `query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } nodes { ${PRODUCT} } }
}`;

export const PRODUCTS_BY_ID = `query ProductsById($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { ${PRODUCT} } } }`;

export const CATALOG = `query Catalog($after: String) {
  productVariants(first: 250, after: $after) { pageInfo { hasNextPage endCursor } nodes { sku inventoryItem { id } } }
}`;

export const LOCATIONS = `query Locations { locations(first: 1) { nodes { id name } } }`;

export const CUSTOMER_SEARCH = `query CustomerSearch($query: String!) { customers(first: 1, query: $query) { nodes { id legacyResourceId tags } } }`;

export const CUSTOMER_CREATE = `mutation CustomerCreate($input: CustomerInput!) {
  customerCreate(input: $input) { customer { id legacyResourceId } userErrors { field message } }
}`;

export const CUSTOMER_UPDATE = `mutation CustomerUpdate($input: CustomerInput!) {
  customerUpdate(input: $input) { customer { id legacyResourceId } userErrors { field message } }
}`;

/**
 * Inventory set absolutely, the way Shopify asks since 2026-04: each quantity names what it expects to
 * change from (null: Ferry's source is the master, so no check) and the mutation carries an idempotency key.
 */
export const SET_QUANTITIES = (key: string) => `mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: ${JSON.stringify(key)}) { inventoryAdjustmentGroup { id } userErrors { field message code } }
}`;

/** Every document, for the schema test. */
/** Which shop, and the scopes the app holds: `ferry check`. */
export const CHECK = `query Check { shop { name myshopifyDomain } currentAppInstallation { accessScopes { handle } } }`;

export const ALL_DOCUMENTS: Record<string, string> = {
  CHECK,
  ORDERS,
  ORDER_LINES,
  ORDER_MONEY,
  REFUND,
  BULK_ORDERS: BULK_ORDERS("updated_at:>='2026-01-01T00:00:00Z'"),
  ORDERS_COUNT,
  BULK_RUN,
  BULK_STATUS,
  CUSTOMERS,
  CUSTOMERS_BY_ID,
  PRODUCTS,
  PRODUCTS_BY_ID,
  PRODUCT_VARIANTS,
  CATALOG,
  LOCATIONS,
  CUSTOMER_SEARCH,
  CUSTOMER_CREATE,
  CUSTOMER_UPDATE,
  SET_QUANTITIES: SET_QUANTITIES('00000000-0000-0000-0000-000000000000'),
};
