/**
 * Offline structured output: a job's own offline rule answers from its input (not its prose
 * prompt), and the answer is validated by the job's schema, like a model's.
 */
import { ExtractionError, type ExtractFn } from '../types';

export const offlineExtract: ExtractFn = async (request) => {
  if (!request.offline) throw new ExtractionError(`the offline extractor has no rule for ${request.name}`);
  const answer = request.offline();
  const parsed = request.schema.safeParse(answer);
  if (!parsed.success) {
    throw new ExtractionError(`${request.name}: the offline answer did not fit the schema`, JSON.stringify(answer));
  }
  return parsed.data;
};
