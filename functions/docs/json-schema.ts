/** zod → JSON Schema 2020-12, the dialect of OpenAPI 3.1 and of AsyncAPI 3.0's default schema format. */
import * as z from 'zod';

export type JsonSchema = Record<string, unknown>;

/** `io`: the input side (what a client sends) or the output side (what the server answers). Refinements JSON Schema cannot express are omitted. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}
