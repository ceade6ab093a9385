/**
 * Removes redundant whitespace from a prompt and nothing else: it is lossless (every word and
 * character other than whitespace stays, in order). Repeated lines and paragraphs are kept: a
 * repeated FAQ answer or a duplicate CSV row is content, not noise. Fenced code blocks are copied
 * untouched (indentation and blank lines can matter there), and so is leading indentation of prose
 * lines (nested lists, pasted YAML).
 */

export interface CompactResult {
	text: string;
	removedChars: number;
}

const FENCE = /^[ \t]*(`{3,}|~{3,})/;

interface Segment {
	code: boolean;
	lines: string[];
}

/** Alternating prose and fenced-code segments; an unclosed fence runs to the end. */
function segments(text: string): Segment[] {
	const result: Segment[] = [];
	let current: Segment = { code: false, lines: [] };
	let fence: string | undefined;
	for (const line of text.split('\n')) {
		const marker = FENCE.exec(line)?.[1];
		if (fence === undefined && marker) {
			result.push(current);
			current = { code: true, lines: [line] };
			fence = marker;
		} else if (fence !== undefined && marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) {
			current.lines.push(line);
			result.push(current);
			current = { code: false, lines: [] };
			fence = undefined;
		} else current.lines.push(line);
	}
	result.push(current);
	return result.filter((s) => s.lines.length > 0);
}

/** Inner runs of spaces/tabs become one space; indentation stays; trailing whitespace goes. */
function tidyLine(line: string): string {
	if (/^[ \t\r]*$/.test(line)) return '';
	const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
	return indent + line.slice(indent.length).replace(/[ \t]+/g, ' ').replace(/[ \t\r]+$/, '');
}

/** Two or more blank lines in a row become one. */
function collapseBlankRuns(lines: string[]): string[] {
	return lines.filter((line, i) => !(line === '' && i > 0 && lines[i - 1] === ''));
}

export function compactPrompt(text: string): CompactResult {
	const out: string[] = [];
	for (const segment of segments(text.replace(/\r\n/g, '\n'))) {
		if (segment.code) out.push(...segment.lines);
		else out.push(...collapseBlankRuns(segment.lines.map(tidyLine)));
	}
	const compacted = out.join('\n');
	return { text: compacted, removedChars: text.length - compacted.length };
}
