import { describe, expect, it } from 'vitest';
import { FACT_TYPES } from '@/lib/memory/fact-ref';
import type { MemoryServices } from '@/lib/memory/services';
import { MEMORY_TOOLS, runMemoryTool } from '@/lib/memory/tools';

/** Services no test here reaches: a tool that got this far would fail loudly. */
const unreachable = new Proxy({} as MemoryServices, {
  get: () => {
    throw new Error('the tool ran');
  },
});
const context = { userId: '00000000-0000-4000-8000-000000000001', conversationId: '00000000-0000-4000-8000-000000000002' };

describe('the memory tools', () => {
  it('offer the model the JSON Schema of the zod schema that checks their input', () => {
    const schemas = Object.fromEntries(MEMORY_TOOLS.map((t) => [t.name, t.inputSchema]));
    expect(Object.keys(schemas)).toEqual(['list_my_memories', 'remember', 'forget', 'delete_memory']);
    expect(schemas.list_my_memories).toEqual({ type: 'object', properties: {} });
    expect(schemas.remember).toMatchObject({
      type: 'object',
      properties: { fact: { type: 'string', minLength: 1, maxLength: 500 }, type: { enum: FACT_TYPES } },
      required: ['fact'],
    });
    expect(schemas.delete_memory).toMatchObject({ properties: { ids: { type: 'array', maxItems: 100, items: { format: 'uuid' } } }, required: ['ids'] });
  });

  it('refuse an input that does not fit the schema before acting, and name a tool that does not exist', async () => {
    await expect(runMemoryTool(unreachable, context, 'delete_memory', { ids: ['not-an-id'] })).rejects.toThrow(/uuid/i);
    await expect(runMemoryTool(unreachable, context, 'remember', { fact: '   ' })).rejects.toThrow();
    expect(await runMemoryTool(unreachable, context, 'translate', {})).toEqual({ result: 'There is no tool named translate.', change: null });
  });
});
