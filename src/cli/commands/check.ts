/**
 * `ferry check [--fix] [--json]`: for every connection in the config, whether it is reachable and
 * authenticated, which account it reaches, and what in that account stops the flows that use it,
 * each with what to do. Reads only, except that `--fix` creates what a connector can safely create
 * (HubSpot's `ferry_` properties). Exit 1 when there is any problem.
 */
import { readFileSync } from 'node:fs';
import type { CheckReport, CheckRequest } from '../../connector/types.js';
import { toFerryError } from '../../errors.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

interface ConnectionCheck extends CheckReport {
  connection: string;
  connector: string;
  flows: string[];
}

export async function checkCommand(app: App, io: CliIo, options: { fix?: boolean; json?: boolean }): Promise<ExitCode> {
  const flows = app.flows();
  const checks: ConnectionCheck[] = [];
  for (const [name, settings] of app.config.connections) {
    const request: CheckRequest = { fix: options.fix, uses: [] };
    for (const flow of flows) {
      const text = flow.source.connection === name || flow.target.connection === name ? readFileSync(flow.file, 'utf8') : '';
      if (flow.source.connection === name) request.uses.push({ flow: flow.name, entity: flow.source.entity, direction: 'read', text });
      if (flow.target.connection === name) request.uses.push({ flow: flow.name, entity: flow.target.entity, direction: 'write', text, fields: Object.keys(flow.mappingSpec) });
    }
    const check: ConnectionCheck = { connection: name, connector: settings.connector, flows: [...new Set(request.uses.map((u) => u.flow))], account: 'not reached', notes: [], problems: [] };
    try {
      const { connector, client } = await app.connections.open(name);
      Object.assign(check, connector.check ? await connector.check(client, request) : { account: 'reachable; the connector checks nothing more' });
    } catch (error) {
      const failure = toFerryError(error);
      const fix = failure.kind === 'auth' ? 'reconnect the app (see the message), then run ferry check again' : failure.kind === 'config' ? 'correct the config file' : 'check the connection’s base_url and network, then run ferry check again';
      check.problems.push({ problem: failure.message, fix });
    }
    checks.push(check);
  }
  const problems = checks.reduce((n, c) => n + c.problems.length, 0);
  if (options.json) io.out(JSON.stringify({ connections: checks, problems }, null, 2));
  else {
    for (const c of checks) {
      io.out(`${c.connection} (${c.connector}): ${c.account}${c.flows.length ? `; used by ${c.flows.length} flow(s)` : '; used by no flow'}`);
      for (const note of c.notes) io.out(`  ok       ${note}`);
      for (const p of c.problems) io.out(`  PROBLEM  ${p.problem}\n           fix: ${p.fix}`);
    }
    io.out(problems ? `${problems} problem(s)` : 'no problems');
  }
  return problems ? EXIT.recordsFailed : EXIT.ok;
}
