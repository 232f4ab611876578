/**
 * Calculated query cost, as Shopify documents it
 * (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): a scalar or enum costs 0, an
 * object 1, a connection 2 plus its page size (`first` or `last`) times the cost of one node, a mutation
 * 10. The requested cost is computed from the document before it runs, with every page full; the actual
 * cost from what came back, with the pages as long as they were. A list that is not a connection counts
 * `first` items when it takes that argument, else one.
 */
import {
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

const MUTATION_COST = 10;
type Variables = Record<string, unknown>;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
}

/** The fields a selection set selects on a type, fragments spread in. */
function fieldsOf(walk: Walk, type: GraphQLCompositeType, selectionSet: SelectionSetNode): FieldNode[] {
  const out: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) out.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf(walk, type, selection.selectionSet));
    else {
      const fragment = walk.fragments.get(selection.name.value);
      if (fragment) out.push(...fieldsOf(walk, type, fragment.selectionSet));
    }
  }
  return out;
}

function fieldDefinition(type: GraphQLCompositeType, node: FieldNode): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(type) || 'getFields' in type ? (type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[node.name.value] : undefined;
}

function argument(walk: Walk, node: FieldNode, name: string): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  return arg ? valueFromASTUntyped(arg.value, walk.variables) : undefined;
}

function pageSize(walk: Walk, node: FieldNode): number | undefined {
  const size = argument(walk, node, 'first') ?? argument(walk, node, 'last');
  return typeof size === 'number' ? size : undefined;
}

const isConnection = (type: GraphQLNamedType) => type.name.endsWith('Connection');

/** The node selection inside a connection's `edges { node }` and `nodes`. */
function nodeSelections(walk: Walk, connection: GraphQLCompositeType, selectionSet: SelectionSetNode): { type: GraphQLCompositeType; selectionSet: SelectionSetNode; path: string[] }[] {
  const out: { type: GraphQLCompositeType; selectionSet: SelectionSetNode; path: string[] }[] = [];
  for (const field of fieldsOf(walk, connection, selectionSet)) {
    const definition = fieldDefinition(connection, field);
    if (!definition || !field.selectionSet) continue;
    const key = field.alias?.value ?? field.name.value;
    if (field.name.value === 'nodes') out.push({ type: getNamedType(definition.type) as GraphQLCompositeType, selectionSet: field.selectionSet, path: [key] });
    if (field.name.value === 'edges') {
      const edge = getNamedType(definition.type) as GraphQLCompositeType;
      for (const inner of fieldsOf(walk, edge, field.selectionSet)) {
        const innerDefinition = fieldDefinition(edge, inner);
        if (inner.name.value === 'node' && inner.selectionSet && innerDefinition) out.push({ type: getNamedType(innerDefinition.type) as GraphQLCompositeType, selectionSet: inner.selectionSet, path: [key, inner.alias?.value ?? 'node'] });
      }
    }
  }
  return out;
}

function selectionCost(walk: Walk, type: GraphQLCompositeType, selectionSet: SelectionSetNode, data: unknown, actual: boolean): number {
  let cost = 0;
  for (const field of fieldsOf(walk, type, selectionSet)) {
    const definition = fieldDefinition(type, field);
    if (!definition || !field.selectionSet) continue;
    const named = getNamedType(definition.type);
    if (!isCompositeType(named)) continue;
    const value = actual ? (data as Record<string, unknown> | null | undefined)?.[field.alias?.value ?? field.name.value] : undefined;
    if (actual && (value === null || value === undefined)) continue;
    cost += fieldCost(walk, field, definition, named, value, actual);
  }
  return cost;
}

function fieldCost(walk: Walk, field: FieldNode, definition: GraphQLField<unknown, unknown>, named: GraphQLCompositeType, value: unknown, actual: boolean): number {
  const selectionSet = field.selectionSet!;
  if (isConnection(named)) {
    let cost = 2;
    for (const node of nodeSelections(walk, named, selectionSet)) {
      if (!actual) cost += (pageSize(walk, field) ?? 1) * (1 + selectionCost(walk, node.type, node.selectionSet, undefined, false));
      else {
        let items = (value as Record<string, unknown>)[node.path[0]!] as unknown[];
        if (node.path[1]) items = items.map((edge) => (edge as Record<string, unknown>)[node.path[1]!]);
        for (const item of items) cost += 1 + selectionCost(walk, node.type, node.selectionSet, item, true);
      }
    }
    return cost;
  }
  const type = isNonNullType(definition.type) ? definition.type.ofType : definition.type;
  if (isListType(type)) {
    if (!actual) return (pageSize(walk, field) ?? 1) * (1 + selectionCost(walk, named, selectionSet, undefined, false));
    return (value as unknown[]).reduce<number>((sum, item) => sum + (item === null ? 0 : 1 + selectionCost(walk, named, selectionSet, item, true)), 0);
  }
  return 1 + selectionCost(walk, named, selectionSet, value, actual);
}

function walkOf(schema: GraphQLSchema, fragments: FragmentDefinitionNode[], variables: Variables): Walk {
  return { schema, fragments: new Map(fragments.map((f) => [f.name.value, f])), variables };
}

/** The cost of an operation: requested (before it runs, pages full) or, given its data, actual. */
export function queryCost(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: FragmentDefinitionNode[], variables: Variables, data?: unknown): number {
  const walk = walkOf(schema, fragments, variables);
  if (operation.operation === 'mutation') {
    const root = schema.getMutationType()!;
    return fieldsOf(walk, root, operation.selectionSet).length * MUTATION_COST;
  }
  return selectionCost(walk, schema.getQueryType()!, operation.selectionSet, data, data !== undefined);
}
