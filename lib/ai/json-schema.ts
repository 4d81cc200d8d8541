import { z } from 'zod';

const generated = new WeakMap<z.ZodType, Readonly<Record<string, unknown>>>();

/**
 * The JSON Schema of a tool's input, generated from the zod schema that validates it, once per
 * schema: generating it took about 0.5 ms, on every extraction call.
 */
export function toolInputSchema(schema: z.ZodType): Readonly<Record<string, unknown>> {
  let jsonSchema = generated.get(schema);
  if (!jsonSchema) {
    // What the model fills in is the schema's input side (before defaults and transforms); the
    // vendors take the schema itself, without the dialect marker.
    const fresh: Record<string, unknown> = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    delete fresh.$schema;
    jsonSchema = Object.freeze(fresh);
    generated.set(schema, jsonSchema);
  }
  return jsonSchema;
}
