/** Shopify GraphQL ids as the REST-shaped records carry them. */
import { describe, expect, it } from 'vitest';
import { idOf, restId } from '../../../connectors/shopify/records.js';

describe('Shopify record ids', () => {
  it('are numbers while a JavaScript number holds them exactly, and their digits beyond that', () => {
    expect(restId('1002755')).toBe(1002755);
    expect(idOf('gid://shopify/Order/5801234567890')).toBe(5801234567890);
    // Ids as long as the refund's in Shopify's own 2026-07 example (18 digits): as numbers, these two
    // would both be 890088186047892400.
    expect(idOf('gid://shopify/Refund/890088186047892319')).toBe('890088186047892319');
    expect(idOf('gid://shopify/Refund/890088186047892318')).not.toBe(idOf('gid://shopify/Refund/890088186047892319'));
  });
});
