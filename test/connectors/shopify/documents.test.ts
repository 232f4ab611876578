/**
 * Every GraphQL document the Shopify connector sends, validated against Shopify's own schema of the API
 * version it speaks (2026-07): replacing the schema file with a newer version fails here on any field
 * Shopify removed. The order page's requested cost stays within Shopify's single-query limit.
 */
import { type OperationDefinitionNode, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../connectors/shopify/client.js';
import { ALL_DOCUMENTS, ORDERS, ORDERS_PAGE } from '../../../connectors/shopify/documents.js';
import { queryCost } from '../../../emulators/shopify/graphql/cost.js';
import { ADMIN_API_VERSION, adminSchema } from '../../../emulators/shopify/graphql/schema.js';

describe('Shopify connector documents against the GraphQL Admin schema', () => {
  it('speaks the version the schema file is', () => {
    expect(API_VERSION).toBe(ADMIN_API_VERSION);
  });

  for (const [name, document] of Object.entries(ALL_DOCUMENTS)) {
    it(`${name} is valid`, () => {
      expect(validate(adminSchema(), parse(document)).map((e) => e.message)).toEqual([]);
    });
  }

  it('a schema without a field the connector reads fails the check (the check can fail)', () => {
    const errors = validate(adminSchema(), parse('{ orders(first: 1) { nodes { gateway processingMethod } } }'));
    expect(errors.map((e) => e.message)).toEqual(['Cannot query field "gateway" on type "Order".', 'Cannot query field "processingMethod" on type "Order".']);
  });

  it(`an order page of ${ORDERS_PAGE} asks for no more than the 1,000 a query may cost`, () => {
    const operation = parse(ORDERS).definitions[0] as OperationDefinitionNode;
    const cost = queryCost(adminSchema(), operation, [], { first: ORDERS_PAGE });
    expect(cost).toBeLessThanOrEqual(1_000);
    expect(queryCost(adminSchema(), operation, [], { first: ORDERS_PAGE + 1 })).toBeGreaterThan(cost);
  });
});
