/** The name agentrace's handler goes by in a LangChain callback manager (one per manager, never two). */
export const AGENTRACE_HANDLER_NAME = 'agentrace';
