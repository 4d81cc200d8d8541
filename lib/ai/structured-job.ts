import type { ExtractFn, StructuredJob } from './types';

/** Runs a job on an input with whichever provider `extract` is: a model, or the job's offline rule. */
export function runJob<I, T>(extract: ExtractFn, job: StructuredJob<I, T>, input: I, signal?: AbortSignal): Promise<T> {
  return extract({
    name: job.name,
    description: job.description,
    system: job.system,
    prompt: job.prompt(input),
    schema: job.schema,
    signal,
    data: input,
    offline: () => job.offline(input),
  });
}
