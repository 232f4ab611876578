/** A target schema's refusals, named the way a person reads them. */
import { describe, expect, it } from 'vitest';
import { targetSchemaValidator } from '../../src/validation/target-schema.js';

const schema = {
  type: 'object',
  required: ['DisplayName'],
  properties: { DisplayName: { type: 'string' }, DocNumber: { type: 'string', maxLength: 21 }, PrimaryPhone: { type: 'object', properties: { FreeFormNumber: { type: 'string' } } }, Line: { type: 'array', items: { type: 'object', properties: { Amount: { type: 'number' } } } } },
};
const check = targetSchemaValidator(schema);

describe('target schema messages', () => {
  it('name the field, and say when its value was null rather than of the wrong type', () => {
    expect(check({ DisplayName: 'Acme', PrimaryPhone: { FreeFormNumber: null }, Line: [{ Amount: '12' }] })).toEqual([
      'PrimaryPhone.FreeFormNumber: is null (the source has no value for it), but must be string',
      'Line[0].Amount: must be number',
    ]);
  });

  it('say what is missing and what is too long', () => {
    expect(check({ DocNumber: '#9999-C890088186047892400' })).toEqual(['DisplayName: is required', 'DocNumber: must NOT have more than 21 characters']);
  });
});
