import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, Redactor } from '../src/log.js';
import { tempDir } from './support/harness.js';

describe('logging', () => {
  it('masks known secrets, secret-named fields and bearer tokens', () => {
    const redactor = new Redactor(['sk_test_51Hsecret']);
    expect(redactor.text('stripe said: invalid key sk_test_51Hsecret')).toBe('stripe said: invalid key [redacted]');
    expect(redactor.text('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc')).toBe('Authorization: Bearer [redacted]');
    expect(redactor.value({ headers: { authorization: 'x', 'X-Shopify-Access-Token': 'shpat_1' }, id: 5 })).toEqual({
      headers: { authorization: '[redacted]', 'X-Shopify-Access-Token': '[redacted]' },
      id: 5,
    });
  });

  it('writes JSON lines to an owner-only file, redacted', async () => {
    const file = join(tempDir(), 'logs', 'ferry.log');
    const logger = createLogger({ consoleLevel: 'silent', file, secrets: ['hush-hush-123'] });
    logger.error('token hush-hush-123 was refused', { flow: 'orders', access_token: 'hush-hush-123' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', message: 'token [redacted] was refused', flow: 'orders', access_token: '[redacted]' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
