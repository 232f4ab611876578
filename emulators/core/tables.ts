/** An emulator's table of one kind of object, made on first use. */
export function tableIn<Kind, Id, Row>(tables: Map<Kind, Map<Id, Row>>, kind: Kind): Map<Id, Row> {
  let table = tables.get(kind);
  if (!table) {
    table = new Map();
    tables.set(kind, table);
  }
  return table;
}
