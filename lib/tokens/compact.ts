/**
 * Removes whitespace and verbatim repetition from a prompt without changing what it says.
 * Fenced code blocks are copied untouched (indentation and blank lines can matter there), and so is
 * leading indentation of prose lines (nested lists, pasted YAML). Case and punctuation never change.
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

/**
 * Lines without a letter or digit (`---`, `|---|---|`, `}`) are layout, not content: repeating
 * them is meaningful (a second table's separator row), so they are never deduplicated.
 */
function isStructural(line: string): boolean {
	return !/[\p{L}\p{N}]/u.test(line);
}

function splitParagraphs(lines: string[]): string[][] {
	const paragraphs: string[][] = [];
	let current: string[] = [];
	for (const line of lines) {
		if (line === '') {
			if (current.length) paragraphs.push(current);
			paragraphs.push([]);
			current = [];
		} else current.push(line);
	}
	if (current.length) paragraphs.push(current);
	return paragraphs;
}

/** Drops repeated paragraphs, then repeated lines, across all prose (first occurrence wins). */
function dedupe(lines: string[], seenParagraphs: Set<string>, seenLines: Set<string>): string[] {
	const kept: string[] = [];
	for (const paragraph of splitParagraphs(lines)) {
		if (paragraph.length === 0) {
			kept.push('');
			continue;
		}
		const key = paragraph.join('\n');
		if (paragraph.length > 1 && seenParagraphs.has(key)) continue;
		seenParagraphs.add(key);
		for (const line of paragraph) {
			if (!isStructural(line)) {
				if (seenLines.has(line)) continue;
				seenLines.add(line);
			}
			kept.push(line);
		}
	}
	return kept;
}

/** Two or more blank lines in a row become one. */
function collapseBlankRuns(lines: string[]): string[] {
	return lines.filter((line, i) => !(line === '' && i > 0 && lines[i - 1] === ''));
}

export function compactPrompt(text: string): CompactResult {
	const seenParagraphs = new Set<string>();
	const seenLines = new Set<string>();
	const out: string[] = [];
	for (const segment of segments(text.replace(/\r\n/g, '\n'))) {
		if (segment.code) out.push(...segment.lines);
		else out.push(...collapseBlankRuns(dedupe(segment.lines.map(tidyLine), seenParagraphs, seenLines)));
	}
	const compacted = out.join('\n');
	return { text: compacted, removedChars: text.length - compacted.length };
}
