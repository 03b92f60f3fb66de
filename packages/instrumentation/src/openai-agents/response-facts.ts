/** The tool calls (name, call id) a Responses API response or a Chat Completions one asked for, in order. */
export function toolCallsOf(response: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const add = (name: unknown, id: unknown) => {
    if (typeof name === 'string' && typeof id === 'string') out.push([name, id]);
  };
  if (Array.isArray(response.output)) {
    for (const item of response.output as Record<string, unknown>[]) {
      if (item?.type === 'function_call') add(item.name, item.call_id);
    }
  }
  const choices = response.choices;
  if (Array.isArray(choices)) {
    for (const choice of choices as Record<string, unknown>[]) {
      const message = choice?.message as Record<string, unknown> | undefined;
      const calls = message?.tool_calls;
      if (!Array.isArray(calls)) continue;
      for (const c of calls as Record<string, unknown>[]) {
        add((c?.function as Record<string, unknown> | undefined)?.name, c?.id);
      }
    }
  }
  return out;
}

/** Finish reasons of a Responses API response (`status`, tool calls) or a Chat Completions one (`choices`). */
export function finishReasonsOf(response: Record<string, unknown> | undefined): string[] {
  if (!response) return [];
  const choices = response.choices;
  if (Array.isArray(choices)) {
    return (choices as Record<string, unknown>[])
      .map((c) => c?.finish_reason)
      .filter((r): r is string => typeof r === 'string');
  }
  const output = response.output;
  if (
    Array.isArray(output) &&
    (output as Record<string, unknown>[]).some((i) => i?.type === 'function_call')
  ) {
    return ['tool_call'];
  }
  const status = response.status;
  if (status === 'completed') return ['stop'];
  if (status === 'incomplete') {
    const reason = (response.incomplete_details as Record<string, unknown> | undefined)?.reason;
    return [reason === 'max_output_tokens' ? 'length' : typeof reason === 'string' ? reason : 'incomplete'];
  }
  return typeof status === 'string' ? [status] : [];
}
