import type { GatewayChatResult } from '../gateway';
import type { ChatRequest, Message } from '../ollama';
import { checkReply, OutputValidationError, retryInstruction, type OutputFormat } from './structured-output';

export interface FormattedReply {
	/** The reply that is the answer: the first one, or the retry's. */
	final: GatewayChatResult;
	response: string;
	/** The parsed reply (JSON formats). */
	data: unknown;
}

/**
 * Holds a reply to the item's output format (JSON, JSON schema). A reply that fails the check gets
 * one retry that shows the model its reply and the problem; a second failure is an
 * OutputValidationError. Text formats pass through unchecked.
 */
export async function enforceOutputFormat(args: {
	format: OutputFormat;
	reply: GatewayChatResult;
	/** The request that got the reply, and the messages it was sent with (the tool loop's last turn). */
	request: ChatRequest;
	sentMessages: Message[];
	chat: (request: ChatRequest) => Promise<GatewayChatResult>;
	warnings: string[];
}): Promise<FormattedReply> {
	const { format, request } = args;
	let final = args.reply;
	let response = final.message.content;
	if (format.type === 'text') return { final, response, data: undefined };
	let check = checkReply(format, response);
	if (!check.ok) {
		args.warnings.push(`The first reply was rejected (${check.problem}); retried once.`);
		final = await args.chat({
			...request,
			messages: [...args.sentMessages, { role: 'assistant', content: response }, { role: 'user', content: retryInstruction(check.problem) }],
		});
		response = final.message.content;
		check = checkReply(format, response);
		if (!check.ok) throw new OutputValidationError(check.problem, response);
	}
	return { final, response, data: check.value };
}
