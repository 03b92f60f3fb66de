/** The part of LangChain's `Serialized` this handler reads: the class path and, for tools, the name. */
export interface SerializedLike {
  readonly id?: readonly string[];
  readonly name?: string;
}

/** The run's name: the name LangChain gave the run, else the serialized name, else the class name. */
export function runNameOf(serialized: SerializedLike | undefined, runName: string | undefined): string {
  if (typeof runName === 'string' && runName.length > 0) return runName;
  if (typeof serialized?.name === 'string' && serialized.name.length > 0) return serialized.name;
  const id = Array.isArray(serialized?.id) ? serialized.id : [];
  return typeof id[id.length - 1] === 'string' ? (id[id.length - 1] as string) : 'chain';
}

/** Class names of LangChain agents that are not graphs. */
const AGENT_CLASSES = new Set(['AgentExecutor']);

/**
 * Whether a chain run is an agent: a LangGraph graph (`createReactAgent`, `createAgent` and every compiled
 * graph run as `langgraph/pregel/…`), an `AgentExecutor`, or a run named in `agentNames`.
 */
export function isAgentRun(
  serialized: SerializedLike | undefined,
  name: string,
  agentNames: ReadonlySet<string>,
): boolean {
  if (agentNames.has(name)) return true;
  const id = Array.isArray(serialized?.id) ? serialized.id : [];
  if (id.includes('pregel') || id.includes('langgraph')) return true;
  return id.some((part) => AGENT_CLASSES.has(part));
}
