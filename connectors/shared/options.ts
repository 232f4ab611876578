import type { OptionSpec } from '../../src/connector/types.js';

/** Options shared by the connectors that use them, worded once. */
export const TIMEOUT_MS: OptionSpec = { type: 'number', description: 'How long one request may take before it is cancelled and retried, in milliseconds (60000).' };
export const CLIENT_ID: OptionSpec = { type: 'string', description: "The app's OAuth client id." };
export const CLIENT_SECRET: OptionSpec = { type: 'string', secret: true, description: "The app's OAuth client secret." };
export const REFRESH_TOKEN: OptionSpec = { type: 'string', secret: true, description: 'An OAuth refresh token; after `ferry connect` it is kept in the secrets file instead.' };
export const ACCESS_TOKEN: OptionSpec = { type: 'string', secret: true, description: 'A fixed access token.' };
export const REDIRECT_URI: OptionSpec = { type: 'string', description: '`ferry connect`: the loopback address the vendor sends the browser back to (http://localhost:8765/callback).' };
export const AUTHORIZE_URL: OptionSpec = { type: 'string', description: "`ferry connect`: the vendor's consent page (its real one unless an emulator's)." };
