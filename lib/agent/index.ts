export { runToolLoop, type ToolLoopOptions, type ToolLoopResult } from './tool-loop';
export { MalformedToolOutputError, MaxIterationsError, toolOutputText, type AgentTool, type ToolCallTrace } from './tool';
export {
	checkReply,
	compileSchema,
	InvalidSchemaError,
	ollamaFormat,
	OutputValidationError,
	retryInstruction,
	validatorCacheStats,
	type OutputFormat,
} from './structured-output';
export { runAgent, SERVER_DEFAULT_NUM_CTX, type AgentRunInput, type AgentRunDeps, type AgentRunResult } from './run-agent';
