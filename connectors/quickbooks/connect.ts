/**
 * `ferry connect` for QuickBooks: Intuit's OAuth 2 authorization-code flow through `intuit-oauth`. The
 * person signs in and picks a company at Intuit; the answer at the redirect URI carries a code, the
 * state Ferry sent, and the company's realm id; the code is exchanged for the first refresh token.
 */
import { randomUUID } from 'node:crypto';
import OAuthClient from 'intuit-oauth';
import type { ConnectionSettings, ConnectResult, ConnectSession } from '../../src/connector/types.js';
import { AuthError, ConfigError } from '../../src/errors.js';

export async function connectQuickBooks(settings: ConnectionSettings, session: ConnectSession): Promise<ConnectResult> {
  const { client_id: clientId, client_secret: clientSecret } = settings.options;
  if (!clientId || !clientSecret) throw new ConfigError(`connection '${settings.name}' needs client_id and client_secret (the app's keys in the Intuit developer portal)`);
  const oauth = new OAuthClient({ clientId: String(clientId), clientSecret: String(clientSecret), environment: settings.options.environment === 'sandbox' ? 'sandbox' : 'production', redirectUri: session.redirectUri });
  // Elsewhere than Intuit (an emulator): its own authorization page and token endpoint.
  if (settings.options.authorize_url || settings.options.token_url) {
    oauth.setAuthorizeURLs({
      authorizeEndpoint: String(settings.options.authorize_url ?? OAuthClient.authorizeEndpoint),
      tokenEndpoint: String(settings.options.token_url ?? OAuthClient.tokenEndpoint),
      revokeEndpoint: OAuthClient.revokeEndpoint,
      userInfoEndpoint: OAuthClient.userinfo_endpoint_production,
    });
  }
  const state = randomUUID();
  session.open(oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state }));
  const answer = await session.callback();
  const refused = answer.searchParams.get('error');
  if (refused) throw new AuthError(`QuickBooks did not grant access (${refused}): connect again and approve the app for the company`);
  if (answer.searchParams.get('state') !== state) throw new AuthError('the answer at the redirect URI is not for this request (its state differs): connect again');
  const realmId = answer.searchParams.get('realmId');
  if (!realmId) throw new AuthError('QuickBooks answered without a company (realmId): connect again and choose one');
  await oauth.createToken(answer.toString());
  const refreshToken = oauth.getToken().refresh_token;
  if (!refreshToken) throw new AuthError('QuickBooks answered without a refresh token: connect again');
  return { secrets: { refresh_token: refreshToken }, options: { realm_id: realmId }, account: `QuickBooks company (realm ${realmId})` };
}
