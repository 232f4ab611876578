/**
 * Reads a vendor SDK's TypeScript declarations with the TypeScript compiler and checks a JSON value
 * against a declared interface: every field must be declared, every required field present, and a
 * primitive field must have one of its declared primitive types. Nested objects and arrays are followed.
 * This is how the Shopify and HubSpot emulators are held to the typed models their official SDKs ship.
 */
import ts from 'typescript';

export class DeclaredTypes {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;

  constructor(readonly file: string) {
    this.program = ts.createProgram([file], { strict: true, skipLibCheck: true, noEmit: true });
    this.checker = this.program.getTypeChecker();
  }

  /** The interface or class called `name` anywhere in the file (namespaces included). */
  type(name: string): ts.Type {
    const source = this.program.getSourceFile(this.file)!;
    let found: ts.Type | undefined;
    const visit = (node: ts.Node) => {
      if (found) return;
      if ((ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) && node.name?.text === name) {
        found = this.checker.getTypeAtLocation(node.name);
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    if (!found) throw new Error(`no interface or class ${name} in ${this.file}`);
    return found;
  }

  /** Problems with `value` as an instance of `type`, as readable lines. */
  check(type: ts.Type, value: unknown, path: string): string[] {
    const problems: string[] = [];
    const parts = type.isUnion() ? type.types : [type];
    const present = parts.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    if (value === null || value === undefined) return [];
    if (present.some((t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) return [];
    const primitives = present.filter((t) => t.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike));
    if (primitives.length === present.length && primitives.length) {
      const kinds = new Set(primitives.map((t) => (t.flags & ts.TypeFlags.StringLike ? 'string' : t.flags & ts.TypeFlags.NumberLike ? 'number' : 'boolean')));
      if (!kinds.has(typeof value as 'string')) problems.push(`${path}: is ${typeof value}, declared ${[...kinds].join(' | ')}`);
      return problems;
    }
    if (Array.isArray(value)) {
      const array = present.find((t) => this.checker.isArrayType(t)) as ts.TypeReference | undefined;
      if (!array) return [`${path}: is an array, not declared as one`];
      const element = this.checker.getTypeArguments(array)[0]!;
      value.forEach((item, i) => problems.push(...this.check(element, item, `${path}[${i}]`)));
      return problems;
    }
    if (typeof value !== 'object') return [`${path}: is ${typeof value}, declared an object`];
    const objectType = present.find((t) => t.flags & ts.TypeFlags.Object && !this.checker.isArrayType(t));
    if (!objectType) return [`${path}: is an object, declared ${present.map((t) => this.checker.typeToString(t)).join(' | ')}`];
    const properties = this.checker.getPropertiesOfType(objectType);
    if (!properties.length) return []; // Record<string, ...> and similar open shapes
    const record = value as Record<string, unknown>;
    for (const property of properties) {
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      if (!optional && !(property.name in record)) problems.push(`${path}.${property.name}: required, missing`);
    }
    for (const [key, child] of Object.entries(record)) {
      const property = properties.find((p) => p.name === key);
      if (!property) {
        problems.push(`${path}.${key}: not declared`);
        continue;
      }
      problems.push(...this.check(this.checker.getTypeOfSymbol(property), child, `${path}.${key}`));
    }
    return problems;
  }
}
