/**
 * `ferry connect` for HubSpot: a public app's install (OAuth 2 authorization code,
 * https://developers.hubspot.com/docs/api/oauth-quickstart-guide). The person chooses the portal and
 * approves the scopes at HubSpot; the code that comes back is exchanged for the install's refresh token,
 * and the portal is read with the first access token.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@hubspot/api-client';
import type { ConnectionSettings, ConnectResult, ConnectSession } from '../../src/connector/types.js';
import { AuthError, ConfigError } from '../../src/errors.js';
import { getJson } from './check.js';
import { classifyHubSpotError } from './client.js';

/** What the shipped flows read and write, and what `ferry check --fix` needs to create Ferry's properties. */
const DEFAULT_SCOPES = ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.companies.read', 'crm.objects.companies.write', 'crm.objects.deals.read', 'crm.objects.deals.write', 'crm.objects.line_items.read', 'crm.objects.line_items.write', 'crm.schemas.companies.write', 'crm.schemas.deals.write'];

export async function connectHubSpot(settings: ConnectionSettings, session: ConnectSession): Promise<ConnectResult> {
  const { client_id: clientId, client_secret: clientSecret } = settings.options;
  if (!clientId || !clientSecret) throw new ConfigError(`connection '${settings.name}' needs client_id and client_secret (the public app's, from its Auth settings)`);
  const state = randomUUID();
  const authorize = new URL(String(settings.options.authorize_url ?? 'https://app.hubspot.com/oauth/authorize'));
  authorize.search = new URLSearchParams({ client_id: String(clientId), redirect_uri: session.redirectUri, scope: String(settings.options.scopes ?? DEFAULT_SCOPES.join(' ')), state }).toString();
  session.open(authorize.toString());
  const answer = await session.callback();
  if (answer.searchParams.get('error')) throw new AuthError(`HubSpot did not install the app (${answer.searchParams.get('error')}): connect again and approve it`);
  if (answer.searchParams.get('state') !== state) throw new AuthError('the answer at the redirect URI is not for this request (its state differs): connect again');
  const sdk = new Client({ basePath: settings.baseUrl ?? 'https://api.hubapi.com' });
  try {
    const tokens = await sdk.oauth.tokensApi.create('authorization_code', answer.searchParams.get('code') ?? '', session.redirectUri, String(clientId), String(clientSecret));
    sdk.setAccessToken(tokens.accessToken);
    const account = (await getJson<{ portalId: number }>(sdk, '/account-info/v3/details')).data;
    return { secrets: { refresh_token: tokens.refreshToken }, options: { portal_id: String(account.portalId) }, account: `HubSpot portal ${account.portalId}` };
  } catch (error) {
    throw classifyHubSpotError(error);
  }
}
