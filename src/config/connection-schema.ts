/**
 * The `connections` part of the config file's JSON Schema, composed from what each connector declares:
 * an editor offers a connection's options, and an unknown one (a typo: `realmid`) is refused with its
 * line and column and the option probably meant. Credentials carry JSON Schema's `writeOnly`, which is
 * also how the config loader knows which values to mask. `npm run schemas` writes the composed schema
 * into config/schemas/config.schema.json; a test keeps the two the same.
 */
import type { ConnectorRegistry, JsonObject, OptionSpec } from '../connector/types.js';

/** What every connection takes, whatever its connector. */
const COMMON: Record<string, JsonObject> = {
  connector: { description: 'Which connector this connection is for.', type: 'string' },
  base_url: { description: 'API base URL: the real service in production, an emulator locally.', type: 'string' },
  webhook_secret: { description: "The secret this service signs its webhooks with; `ferry daemon` refuses any that do not verify. Empty: no webhooks from this connection.", type: 'string', writeOnly: true },
};

/** A number, or a `${ENV}` reference that will be one. */
export const NUMBER_OR_REFERENCE = '^(\\d+(\\.\\d+)?|\\$\\{[^}]+\\})$';

function optionSchema(option: OptionSpec): JsonObject {
  return {
    description: option.description,
    ...(option.type === 'number' ? { type: ['number', 'string'], pattern: NUMBER_OR_REFERENCE } : { type: 'string' }),
    ...(option.secret ? { writeOnly: true } : {}),
  };
}

export function connectionSchema(registry: ConnectorRegistry): JsonObject {
  const declared = [...registry.values()].filter((c) => c.options).sort((a, b) => a.name.localeCompare(b.name));
  return {
    type: 'object',
    required: ['connector'],
    properties: COMMON,
    // A connector that declares its options takes only those; another (a plugin, a test double) takes any.
    additionalProperties: { type: ['string', 'number', 'boolean'] },
    allOf: declared.map((connector) => ({
      if: { properties: { connector: { const: connector.name } } },
      then: {
        properties: { ...COMMON, ...Object.fromEntries(Object.entries(connector.options!).map(([name, option]) => [name, optionSchema(option)])) },
        additionalProperties: false,
      },
    })),
  };
}

/**
 * Whether a connection option holds a credential, by the composed schema: declared `writeOnly`; for a
 * connector that declares nothing, every option but `connector` and `base_url`, to be safe.
 */
export function isSecretOption(schema: JsonObject, connector: string, option: string): boolean {
  const connections = (schema.properties as Record<string, JsonObject>).connections!.additionalProperties as JsonObject;
  const branch = (connections.allOf as JsonObject[]).find((b) => ((b.if as JsonObject).properties as Record<string, { const: string }>).connector.const === connector);
  if (!branch) return option !== 'connector' && option !== 'base_url';
  const property = ((branch.then as JsonObject).properties as Record<string, JsonObject>)[option];
  return property?.writeOnly === true;
}
