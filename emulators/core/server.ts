/**
 * The HTTP server every emulator runs on: routing, body capture, authentication, the vendor's rate
 * limit, fault injection and a request log, with the vendor-specific parts supplied by each emulator.
 * Admin endpoints under `/__admin/` (no auth) let tests change faults and read the log mid-run.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { drawFault, type Fault, type FaultPlan, NO_FAULTS } from './faults.js';
import { seededRandom } from './random.js';

export interface EmulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  params: Record<string, string>;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless `raw` is set. */
  body?: unknown;
  raw?: string;
}

export type Handler = (request: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

/** What differs from vendor to vendor. */
export interface VendorBehaviour {
  name: string;
  routes: Route[];
  /** An answer (401) when the request is not authenticated; undefined to let it through. */
  authenticate(request: EmulatorRequest): EmulatorResponse | undefined;
  /** An answer (429) when the vendor's limit is exceeded; undefined to let it through. */
  rateLimit?(request: EmulatorRequest, now: number): EmulatorResponse | undefined;
  /** The vendor's own body for an injected fault. */
  faultResponse(fault: 'rate-limited' | 'server-error', request?: EmulatorRequest): EmulatorResponse;
  /** Headers every answer carries (rate-limit state, request ids). */
  decorate?(request: EmulatorRequest, response: EmulatorResponse, now: number): void;
  /** Extra admin endpoints (`/__admin/<name>`), e.g. webhook subscriptions. */
  admin?: Record<string, Handler>;
  notFound(request: EmulatorRequest): EmulatorResponse;
}

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  status: number | null;
  fault?: Fault;
  limited?: boolean;
}

export interface EmulatorServerOptions {
  seed?: number;
  faults?: FaultPlan;
  /** Largest request body accepted. */
  maxBodyBytes?: number;
}

export class EmulatorServer {
  private server?: Server;
  private faults: FaultPlan;
  private readonly random: () => number;
  private readonly sockets = new Set<Socket>();
  readonly log: LoggedRequest[] = [];
  private readonly routes: { method: string; segments: RegExp[]; handler: Handler }[];

  constructor(
    readonly behaviour: VendorBehaviour,
    private readonly options: EmulatorServerOptions = {},
  ) {
    this.faults = options.faults ?? NO_FAULTS;
    this.random = seededRandom((options.seed ?? 1) ^ 0x5eed);
    // `:id` matches a whole segment, `:id.json` a segment ending in `.json`.
    const segment = (text: string) =>
      new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([A-Za-z_]+)/g, '(?<$1>[^/]+?)')}$`);
    this.routes = behaviour.routes.map((r) => ({ method: r.method, segments: r.pattern.split('/').filter(Boolean).map(segment), handler: r.handler }));
  }

  setFaults(plan: FaultPlan): void {
    this.faults = plan;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Vendors' front ends keep idle connections about a minute; Node's 5 s default would close a reused
    // socket under a client whose request arrived while the emulator was busy.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, this.options.maxBodyBytes ?? 10 * 1024 * 1024);
    } catch {
      return send(res, { status: 413, body: { error: 'request body too large' } });
    }
    const request: EmulatorRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, rawBody, params: {} };

    if (request.path.startsWith('/__admin/')) return send(res, await this.admin(request));

    // One clock reading for the log and the limiter, so the log shows exactly what the limiter saw.
    const now = Date.now();
    const entry: LoggedRequest = { at: now, method: request.method, path: request.path, status: null };
    this.log.push(entry);

    const fault = drawFault(this.faults, this.random);
    if (fault) entry.fault = fault;
    if (fault === 'dropped') return void req.socket.destroy();
    if (fault === 'timeout') return; // never answered; closed with the server or by the client
    const response = fault && fault !== 'lost' ? this.behaviour.faultResponse(fault, request) : await this.admitAndServe(request, now);
    if (fault === 'lost') return void req.socket.destroy();
    entry.status = response.status;
    if (response.status === 429) entry.limited = !fault;
    this.behaviour.decorate?.(request, response, Date.now());
    send(res, response);
  }

  /** Authentication, the vendor's limits, then the handler, with the injected latency while in flight. */
  private async admitAndServe(request: EmulatorRequest, now: number): Promise<EmulatorResponse> {
    const refused = this.behaviour.authenticate(request) ?? this.behaviour.rateLimit?.(request, now);
    if (refused) return refused;
    if (this.faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));
    return this.dispatch(request);
  }

  private async dispatch(request: EmulatorRequest): Promise<EmulatorResponse> {
    const segments = request.path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== request.method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const matched = route.segments.every((pattern, i) => {
        const match = pattern.exec(segments[i]!);
        for (const [name, value] of Object.entries(match?.groups ?? {})) params[name] = decodeURIComponent(value);
        return match !== null;
      });
      if (matched) {
        try {
          return await route.handler({ ...request, params });
        } catch (error) {
          if (error instanceof VendorError) return error.response;
          throw error;
        }
      }
    }
    return this.behaviour.notFound(request);
  }

  /**
   * Serves a request in-process, past authentication, limits, faults and the log: how seed data is
   * loaded through the same handlers a client uses, without spending the client's rate budget. The
   * `/__admin/` endpoints answer here too, so a test can change faults without a socket.
   */
  async inject(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<EmulatorResponse> {
    const url = new URL(path, 'http://emulator');
    const rawBody = Buffer.from(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
    const request: EmulatorRequest = { method, path: url.pathname, query: url.searchParams, headers: { host: 'emulator', ...headers }, rawBody, params: {} };
    return url.pathname.startsWith('/__admin/') ? this.admin(request) : this.dispatch(request);
  }

  private async admin(request: EmulatorRequest): Promise<EmulatorResponse> {
    const name = request.path.slice('/__admin/'.length);
    if (name === 'faults' && request.method === 'GET') return { status: 200, body: this.faults };
    if (name === 'faults' && request.method === 'PUT') {
      this.faults = { ...NO_FAULTS, ...(JSON.parse(request.rawBody.toString('utf8') || '{}') as Partial<FaultPlan>) };
      return { status: 200, body: this.faults };
    }
    if (name === 'requests') return { status: 200, body: summarise(this.log) };
    const handler = this.behaviour.admin?.[name];
    return handler ? handler(request) : { status: 404, body: { error: `no admin endpoint ${name}` } };
  }
}

/** Thrown by handlers to answer with the vendor's error shape. */
export class VendorError extends Error {
  constructor(readonly response: EmulatorResponse) {
    super(`vendor error ${response.status}`);
  }
}

function summarise(log: LoggedRequest[]) {
  const byStatus: Record<string, number> = {};
  const byFault: Record<string, number> = {};
  for (const entry of log) {
    const status = entry.status === null ? 'none' : String(entry.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (entry.fault) byFault[entry.fault] = (byFault[entry.fault] ?? 0) + 1;
  }
  return { total: log.length, byStatus, byFault, limited: log.filter((e) => e.limited).length };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  const body = response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body));
  res.writeHead(response.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...response.headers });
  res.end(body);
}
