/**
 * `POST /admin/api/{version}/graphql.json`: each document parsed and validated against Shopify's own
 * schema before it runs, its calculated cost taken from the app's bucket (refused with THROTTLED when the
 * bucket cannot hold it, or MAX_COST_EXCEEDED past the single-query limit), then executed over the
 * emulator's store. Every answer is HTTP 200 with `extensions.cost`, as Shopify answers.
 */
import {
  type DocumentNode,
  executeSync,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLFormattedError,
  Kind,
  type OperationDefinitionNode,
  parse,
  validate,
  visit,
  type ASTNode,
} from 'graphql';
import type { EmulatorResponse } from '../../core/server.js';
import { BulkOperations } from './bulk.js';
import { queryCost } from './cost.js';
import { mutations, type WritableStore } from './mutations.js';
import { adminSchema } from './schema.js';
import { fieldResolver, typeResolver, View } from './views.js';

/**
 * The plan's figures. Shopify's rate-limit page gives the standard plan 100 points a second
 * (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits); the bucket is twenty seconds of
 * that, the ratio of the figures Shopify published before (1,000 and 50), and a single query may cost at
 * most 1,000.
 */
export interface CostLimits {
  maximumAvailable: number;
  restoreRate: number;
  maxQueryCost: number;
}
export const STANDARD_PLAN: CostLimits = { maximumAvailable: 2_000, restoreRate: 100, maxQueryCost: 1_000 };

interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

type Body = { data?: unknown; errors?: GraphQLFormattedError[]; extensions?: Record<string, unknown> };

/** Where a node sits in the document, as Shopify's error `path` names it (`["query", "orders", "edges", "node", "gateway"]`). */
function pathOf(document: DocumentNode, target: ASTNode): string[] | undefined {
  const stack: string[] = [];
  let found: string[] | undefined;
  visit(document, {
    enter(node) {
      if (found) return false;
      if (node.kind === Kind.OPERATION_DEFINITION) stack.push(node.operation);
      else if (node.kind === Kind.FRAGMENT_DEFINITION) stack.push(`fragment ${node.name.value}`);
      else if (node.kind === Kind.FIELD) stack.push(node.alias?.value ?? node.name.value);
      if (node === target) found = [...stack];
      return undefined;
    },
    leave(node) {
      if (node.kind === Kind.OPERATION_DEFINITION || node.kind === Kind.FRAGMENT_DEFINITION || node.kind === Kind.FIELD) stack.pop();
    },
  });
  return found;
}

/** graphql-js's validation messages in the wording and codes Shopify (graphql-ruby) answers with. */
function validationError(document: DocumentNode, error: GraphQLError): GraphQLFormattedError {
  const path = error.nodes?.[0] ? pathOf(document, error.nodes[0]) : undefined;
  const base = { locations: error.locations, ...(path ? { path } : {}) };
  let match = /^Cannot query field "(\w+)" on type "(\w+)"/.exec(error.message);
  if (match) return { message: `Field '${match[1]}' doesn't exist on type '${match[2]}'`, ...base, extensions: { code: 'undefinedField', typeName: match[2], fieldName: match[1] } };
  match = /^Unknown argument "(\w+)" on field "(\w+)\.(\w+)"/.exec(error.message);
  if (match) return { message: `Field '${match[3]}' doesn't accept argument '${match[1]}'`, ...base, extensions: { code: 'argumentNotAccepted', name: match[3], typeName: 'Field', argumentName: match[1] } };
  match = /^Field "(\w+)" argument "(\w+)" of type "([^"]+)" is required/.exec(error.message);
  if (match) return { message: `Field '${match[1]}' is missing required arguments: ${match[2]}`, ...base, extensions: { code: 'missingRequiredArguments', className: 'Field', name: match[1], arguments: match[2] } };
  match = /^Unknown type "(\w+)"/.exec(error.message);
  if (match) return { message: `No such type ${match[1]}, so it can't be a fragment condition`, ...base, extensions: { code: 'undefinedType', typeName: match[1] } };
  return { message: error.message, ...base, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
}

export class GraphqlEndpoint {
  private available: number;
  /** Query cost charged so far (what each query used), for the bench's measure of what the bucket allows. */
  spent = 0;
  private updatedAt = Date.now();
  private readonly resolver;
  readonly bulk: BulkOperations;
  /** Where this server is reached, for the URLs of bulk results. */
  private baseUrl = '';

  constructor(
    store: WritableStore,
    readonly limits: CostLimits = STANDARD_PLAN,
    bulkRunMs?: number,
  ) {
    this.available = limits.maximumAvailable;
    this.bulk = new BulkOperations(adminSchema, store, bulkRunMs);
    const bulkFields = this.bulk.fields(() => this.baseUrl);
    const writes = mutations(store);
    this.resolver = fieldResolver(store, { QueryRoot: bulkFields.QueryRoot!, Mutation: { ...writes.Mutation, ...bulkFields.Mutation } });
  }

  /** The bucket as of `now`: it refills at the restore rate, up to its size. */
  throttleStatus(now: number): ThrottleStatus {
    this.available = Math.min(this.limits.maximumAvailable, this.available + ((now - this.updatedAt) / 1000) * this.limits.restoreRate);
    this.updatedAt = now;
    return { maximumAvailable: this.limits.maximumAvailable, currentlyAvailable: Math.floor(this.available), restoreRate: this.limits.restoreRate };
  }

  handle(rawBody: Buffer, now: number, baseUrl: string): EmulatorResponse {
    this.baseUrl = baseUrl;
    let request: { query?: unknown; variables?: Record<string, unknown>; operationName?: string };
    try {
      request = JSON.parse(rawBody.toString('utf8') || '{}') as typeof request;
    } catch {
      return { status: 400, body: { errors: 'Invalid JSON in request body' } };
    }
    if (typeof request.query !== 'string' || !request.query.trim()) return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } } };

    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (error) {
      const e = error as GraphQLError;
      return this.answer({ errors: [{ message: e.message, locations: e.locations, extensions: { code: 'PARSE_ERROR' } }] });
    }
    const schema = adminSchema();
    const invalid = validate(schema, document);
    if (invalid.length) return this.answer({ errors: invalid.map((e) => validationError(document, e)) });

    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = request.operationName ? operations.find((o) => o.name?.value === request.operationName) : operations[0];
    if (!operation) return this.answer({ errors: [{ message: `No operation named "${String(request.operationName)}"`, extensions: { code: 'BAD_REQUEST' } }] });
    const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
    const variables = request.variables ?? {};

    const requested = queryCost(schema, operation, fragments, variables);
    if (requested > this.limits.maxQueryCost) {
      return this.answer(
        { errors: [{ message: `Query cost is ${requested}, which exceeds the single query max cost limit (${this.limits.maxQueryCost}).`, extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: this.limits.maxQueryCost } }] },
        { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: this.throttleStatus(now) },
      );
    }
    const before = this.throttleStatus(now);
    if (requested > before.currentlyAvailable) {
      return this.answer(
        { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }] },
        { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: before },
      );
    }
    this.available -= requested;

    const root = new View(operation.operation === 'mutation' ? 'Mutation' : 'QueryRoot', {});
    const result = executeSync({ schema, document, rootValue: root, variableValues: variables, operationName: request.operationName, fieldResolver: this.resolver, typeResolver });
    const actual = operation.operation === 'mutation' ? requested : queryCost(schema, operation, fragments, variables, result.data ?? {});
    this.available += requested - actual;
    this.spent += actual;
    return this.answer(
      { data: result.data, ...(result.errors?.length ? { errors: result.errors.map((e) => e.toJSON()) } : {}) },
      { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: this.throttleStatus(now) },
    );
  }

  /** Shopify answers GraphQL with 200 whatever happened; the cost travels in `extensions`. */
  private answer(body: Body, cost?: Record<string, unknown>): EmulatorResponse {
    return { status: 200, body: cost ? { ...body, extensions: { cost } } : body };
  }
}
