/**
 * Bulk query operations (https://shopify.dev/docs/api/usage/bulk-operations/queries):
 * `bulkOperationRunQuery` takes a query of one top-level connection (up to five connections, nested at
 * most two deep, `first` ignored), runs it in the background, and leaves the result as JSONL at a URL:
 * one line per node, a nested connection's nodes on lines of their own that name their parent in
 * `__parentId`. Since 2026-01 an app may run five at once per shop; `currentBulkOperation` is the
 * app's most recent, `node(id:)` any of them.
 */
import { type DocumentNode, executeSync, type FieldNode, getNamedType, type GraphQLSchema, isObjectType, Kind, type OperationDefinitionNode, parse, type SelectionSetNode, validate } from 'graphql';
import { built, type Field, fieldResolver, type Store, typeResolver, View } from './views.js';

const MAX_RUNNING = 5;
const MAX_CONNECTIONS = 5;
const MAX_DEPTH = 2;

export interface BulkOperation {
  id: string;
  status: 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  query: string;
  createdAt: string;
  completedAt: string | null;
  objectCount: string;
  rootObjectCount: string;
  fileSize: string | null;
  url: string | null;
  errorCode: 'INTERNAL_SERVER_ERROR' | null;
  partialDataUrl: null;
  type: 'QUERY';
  /** The JSONL, served at `url`. */
  result?: string;
  readyAt: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** How many connections a selection holds, and how deep they nest. */
function connections(schema: GraphQLSchema, selectionSet: SelectionSetNode, typeName: string, depth: number): { count: number; depth: number } {
  let count = 0;
  let deepest = depth;
  const type = schema.getType(typeName);
  if (!type || !isObjectType(type)) return { count, depth };
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !selection.selectionSet) continue;
    const field = type.getFields()[selection.name.value];
    if (!field) continue;
    const named = getNamedType(field.type);
    const isConnection = named.name.endsWith('Connection');
    const inner = connections(schema, selection.selectionSet, named.name, depth + (isConnection ? 1 : 0));
    count += inner.count + (isConnection ? 1 : 0);
    deepest = Math.max(deepest, inner.depth);
  }
  return { count, depth: deepest };
}

type Page = { edges?: { node: unknown }[]; nodes?: unknown[] };
const isPage = (value: unknown): value is Page => typeof value === 'object' && value !== null && !Array.isArray(value) && (Array.isArray((value as Page).edges) || Array.isArray((value as Page).nodes));
const nodesOf = (page: Page) => page.nodes ?? page.edges!.map((e) => e.node);

/** A value with its connections taken out, each noted with the id of the nearest object that holds it. */
function withoutPages(value: unknown, nearestId: string | undefined, pages: { parentId: string | undefined; nodes: unknown[] }[]): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutPages(v, nearestId, pages));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const id = typeof object.id === 'string' ? object.id : nearestId;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(object)) {
    if (isPage(v)) pages.push({ parentId: id, nodes: nodesOf(v) });
    else out[key] = withoutPages(v, id, pages);
  }
  return out;
}

/**
 * Nodes as JSONL lines: every connection inside a node (in a nested object or list too) leaves it, and
 * its nodes follow as lines of their own, naming the nearest object with an id in `__parentId`.
 */
function emit(nodes: unknown[], parentId: string | undefined, lines: string[]): number {
  for (const node of nodes) {
    const pages: { parentId: string | undefined; nodes: unknown[] }[] = [];
    const line = withoutPages(node, undefined, pages) as Record<string, unknown>;
    if (parentId !== undefined) line.__parentId = parentId;
    lines.push(JSON.stringify(line));
    for (const page of pages) emit(page.nodes, page.parentId, lines);
  }
  return nodes.length;
}

export class BulkOperations {
  private readonly operations: BulkOperation[] = [];
  private next = 1;

  constructor(
    private readonly schema: () => GraphQLSchema,
    private readonly store: Store,
    /** How long an operation runs before its file is ready. */
    private readonly runMs = 100,
  ) {}

  /** The operation's JSONL, for the URL its `url` names. */
  file(id: string): string | undefined {
    const operation = this.operations.find((o) => o.id.endsWith(`/${id}`));
    return operation ? this.refresh(operation).result : undefined;
  }

  private refresh(operation: BulkOperation): BulkOperation {
    if (operation.status === 'FAILED' || operation.status === 'COMPLETED') return operation;
    if (operation.result !== undefined && Date.now() >= operation.readyAt) operation.status = 'COMPLETED';
    else operation.status = 'RUNNING';
    if (operation.status === 'COMPLETED') operation.completedAt ??= iso(operation.readyAt);
    return operation;
  }

  private run(query: string, baseUrl: string): { bulkOperation: BulkOperation | null; userErrors: { field: string[]; message: string; code: string }[] } {
    const invalid = (message: string, code = 'INVALID') => ({ bulkOperation: null, userErrors: [{ field: ['query'], message, code }] });
    const running = this.operations.map((o) => this.refresh(o)).filter((o) => o.status !== 'COMPLETED');
    if (running.length >= MAX_RUNNING) return invalid(`A shop can run ${MAX_RUNNING} bulk query operations at a time.`, 'LIMIT_REACHED');
    let operation: OperationDefinitionNode;
    try {
      const document = parse(query);
      const errors = validate(this.schema(), document);
      if (errors.length) return invalid(`Invalid bulk query: ${errors[0]!.message}`);
      operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
      if (operation.operation !== 'query') return invalid('Bulk queries must be queries.');
      const tops = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
      if (tops.length !== 1) return invalid('Bulk queries must contain exactly one top-level field.');
      const shape = connections(this.schema(), operation.selectionSet, 'QueryRoot', 0);
      if (shape.count === 0) return invalid('Bulk queries must contain at least one connection.');
      if (shape.count > MAX_CONNECTIONS) return invalid(`Bulk queries cannot contain more than ${MAX_CONNECTIONS} connections.`);
      if (shape.depth > MAX_DEPTH) return invalid(`Bulk queries cannot contain connections with a nesting depth greater than ${MAX_DEPTH}.`);
      const number = this.next++;
      const created: BulkOperation = {
        id: `gid://shopify/BulkOperation/${number}`,
        status: 'CREATED',
        query,
        createdAt: iso(Date.now()),
        completedAt: null,
        objectCount: '0',
        rootObjectCount: '0',
        fileSize: null,
        url: null,
        errorCode: null,
        partialDataUrl: null,
        type: 'QUERY',
        readyAt: Infinity,
      };
      this.operations.push(created);
      // The answer goes back at once; the query runs afterwards, as Shopify's does.
      setTimeout(() => this.execute(created, document, `${baseUrl}/__bulk/${number}.jsonl`), 0);
      return { bulkOperation: created, userErrors: [] };
    } catch (error) {
      return invalid(`Invalid bulk query: ${(error as Error).message}`);
    }
  }

  private execute(operation: BulkOperation, document: DocumentNode, url: string): void {
    const result = executeSync({ schema: this.schema(), document, rootValue: new View('QueryRoot', {}), fieldResolver: fieldResolver(this.store, {}, { unbounded: true }), typeResolver });
    if (result.errors?.length) {
      Object.assign(operation, { status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', completedAt: iso(Date.now()) });
      return;
    }
    const lines: string[] = [];
    const roots = emit(nodesOf(Object.values(result.data ?? {})[0] as Page), undefined, lines);
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    Object.assign(operation, { objectCount: String(lines.length), rootObjectCount: String(roots), fileSize: String(Buffer.byteLength(text)), url: lines.length ? url : null, result: text, readyAt: Date.now() + this.runMs });
  }

  /** The fields the operations add to the schema's roots. */
  fields(baseUrl: () => string): Record<string, Record<string, Field>> {
    const view = (operation: BulkOperation | undefined) => (operation ? built({ ...this.refresh(operation) }) : null);
    return {
      Mutation: {
        bulkOperationRunQuery: (_rest, args) => {
          const { bulkOperation, userErrors } = this.run(String(args.query), baseUrl());
          return built({ bulkOperation: bulkOperation ? view(bulkOperation) : null, userErrors });
        },
      },
      QueryRoot: {
        currentBulkOperation: () => view(this.operations.at(-1)),
        bulkOperation: (_rest, args) => view(this.operations.find((o) => o.id === args.id)),
      },
    };
  }
}
