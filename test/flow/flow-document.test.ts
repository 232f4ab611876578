/** One source of truth for a flow file: its TypeScript type is the one its JSON Schema generates. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLOW_DOCUMENT_FILE, flowDocumentSource } from '../../src/flow/flow-types.js';

describe('the flow document type', () => {
  it('is what the flow schema generates now (run `npm run schemas` after editing the schema)', async () => {
    expect(readFileSync(FLOW_DOCUMENT_FILE, 'utf8')).toBe(await flowDocumentSource());
  });
});
