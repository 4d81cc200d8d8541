/**
 * Offline structured output: the tasks the memory engine asks of a small model, done by rules
 * from the request's data (not its prose prompt). The answer is validated by the request's own
 * schema, like a model's.
 */
import { z } from 'zod';
import { ExtractionError, type ExtractFn } from '../types';
import { extractFactsByRules } from './fact-rules';
import { summarizeByExcerpts } from './summarize';

const factTypes = z.enum(['preference', 'goal', 'personal_context', 'technical_context', 'constraint']);

const factTaskData = z.object({
  userMessage: z.string(),
  knownFacts: z.array(z.object({ ref: z.string(), factType: factTypes, factText: z.string() })),
});

const summaryTaskData = z.object({
  previousSummary: z.string().nullable(),
  turns: z.array(z.object({ role: z.string(), content: z.string() })),
});

const titleTaskData = z.object({ userMessage: z.string() });

/** The first words of the first message, as people title their own notes. */
function titleFromMessage(message: string): string {
  const words = message.replace(/\s+/g, ' ').trim().split(' ');
  const title = words.slice(0, 6).join(' ').replace(/[.,;:!?]+$/, '');
  return (words.length > 6 ? `${title}…` : title).slice(0, 80) || 'New chat';
}

const TASKS: Record<string, (data: unknown) => unknown> = {
  record_facts: (data) => {
    const { userMessage, knownFacts } = factTaskData.parse(data);
    return { facts: extractFactsByRules(userMessage, knownFacts) };
  },
  write_title: (data) => ({ title: titleFromMessage(titleTaskData.parse(data).userMessage) }),
  write_summary: (data) => {
    const { previousSummary, turns } = summaryTaskData.parse(data);
    return { summary: summarizeByExcerpts(previousSummary, turns) };
  },
};

export const offlineExtract: ExtractFn = async (request) => {
  const task = TASKS[request.name];
  if (!task) throw new ExtractionError(`the offline extractor has no rules for ${request.name}`);
  const answer = task(request.data);
  const parsed = request.schema.safeParse(answer);
  if (!parsed.success) {
    throw new ExtractionError(`${request.name}: the offline answer did not fit the schema`, JSON.stringify(answer));
  }
  return parsed.data;
};
