/**
 * `ferry connect CONNECTION`: a vendor's authorisation completed from the command line. Ferry listens on
 * the connection's redirect URI (loopback, `http://localhost:8765/callback` unless `redirect_uri` says
 * otherwise), prints the URL to open in a browser, and when the vendor sends the browser back, keeps
 * what it granted in the secrets store under the account it belongs to, then says which options the
 * config must name (a QuickBooks company's realm id). Connectors without an authorisation to complete
 * are checked instead, as `ferry check` would.
 */
import { createServer } from 'node:http';
import { SecretsFile } from '../../config/secrets-file.js';
import type { ConnectSession } from '../../connector/types.js';
import { secretOwner } from '../../engine/connections.js';
import { ConfigError } from '../../errors.js';
import type { App } from '../app.js';
import { checkCommand } from './check.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

const DEFAULT_REDIRECT = 'http://localhost:8765/callback';
/** How long Ferry waits for the browser to come back. */
const WAIT_MS = 10 * 60_000;

export async function connectCommand(app: App, io: CliIo, name: string): Promise<ExitCode> {
  const settings = app.config.connections.get(name);
  if (!settings) throw new ConfigError(`no connection '${name}' in the config file (it has: ${[...app.config.connections.keys()].join(', ') || 'none'})`);
  const connector = app.registry.get(settings.connector);
  if (!connector?.connect) {
    io.out(`${name} (${settings.connector}) has no authorisation to complete: its keys go in the config; checking them instead.`);
    return checkCommand(app, io, {});
  }
  const redirectUri = String(settings.options.redirect_uri ?? DEFAULT_REDIRECT);
  const listener = await listen(new URL(redirectUri), WAIT_MS);
  try {
    const session: ConnectSession = {
      redirectUri,
      open: (url) => io.out(`Open this address in a browser, sign in and approve the app:\n\n  ${url}\n\nWaiting for the answer at ${redirectUri} …`),
      callback: () => listener.answer,
    };
    const result = await connector.connect(settings, session);
    const granted = { ...settings, options: { ...settings.options, ...result.options } };
    const account = connector.account?.(granted);
    const secrets = new SecretsFile(app.config.secretsFile, app.config.legacySecretsFile);
    for (const [key, value] of Object.entries(result.secrets)) await secrets.saveSecret(account ? secretOwner(name, account) : name, key, value);
    io.out(`Connected: ${result.account}. What it granted is kept in ${app.config.secretsFile} (readable by you only).`);
    const missing = Object.entries(result.options).filter(([key, value]) => String(settings.options[key] ?? '') !== value);
    if (missing.length) io.out(`Set in the connection '${name}' of ${app.config.file ?? 'the config file'}:\n${missing.map(([key, value]) => `  ${key}: ${value}`).join('\n')}`);
    return EXIT.ok;
  } finally {
    listener.close();
  }
}

/** A one-request HTTP listener at the redirect URI's port and path, answering the browser in words. */
async function listen(redirect: URL, waitMs: number): Promise<{ answer: Promise<URL>; close(): void }> {
  let settle!: (url: URL) => void;
  let fail!: (error: Error) => void;
  const answer = new Promise<URL>((resolve, reject) => ((settle = resolve), (fail = reject)));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', redirect);
    if (url.pathname !== redirect.pathname) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ferry has the answer; you can close this window and go back to the terminal.\n');
    settle(url);
  });
  const timer = setTimeout(() => fail(new ConfigError(`no answer at ${redirect.href} within ${waitMs / 60_000} minutes: run ferry connect again`)), waitMs);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(redirect.port || 80), redirect.hostname === 'localhost' ? '127.0.0.1' : redirect.hostname, resolve));
  return {
    answer,
    close: () => {
      clearTimeout(timer);
      server.close();
    },
  };
}
