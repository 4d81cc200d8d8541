import { z } from 'zod';

/** The JSON Schema of a tool's input, generated from the zod schema that validates it. */
export function toolInputSchema(schema: z.ZodType): Record<string, unknown> {
  // What the model fills in is the schema's input side (before defaults and transforms).
  const jsonSchema: Record<string, unknown> = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  // The vendors take the schema itself, without the dialect marker.
  delete jsonSchema.$schema;
  return jsonSchema;
}
