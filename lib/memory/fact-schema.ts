/**
 * What the extraction model returns for one turn, as a zod schema: the single definition from
 * which the JSON schema sent to the model is generated and against which its answer is checked.
 */
import { z } from 'zod';
import { factType } from '../db/schema';

export const FACT_TYPES = factType.enumValues;

export const extractedFactSchema = z.object({
  fact_type: z.enum(FACT_TYPES).describe('preference, goal, personal_context, technical_context or constraint'),
  fact_text: z
    .string()
    .trim()
    .min(3)
    .max(500)
    .describe('One durable fact about the user, in the third person, self-contained ("Prefers dark mode").'),
  confidence: z.number().min(0).max(1).describe('How sure it is that this is true and lasting, 0 to 1.'),
  supersedes: z
    .array(z.string())
    .default([])
    .describe('Refs (like "F2") of known facts this fact updates or contradicts; empty if none.'),
});

export const extractionSchema = z.object({
  facts: z.array(extractedFactSchema).max(20).describe('Durable facts from this turn; empty if none.'),
});

export type ExtractedFact = z.infer<typeof extractedFactSchema>;
export type Extraction = z.infer<typeof extractionSchema>;
