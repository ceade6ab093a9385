// The JSON document in the stdout of an n8n command, which may hold log lines before and after it
// (`n8n execute --rawOutput` prints the IRun JSON pretty-printed, starting with a line "{" or "[").
'use strict';

/** Returns the parsed document; throws an Error saying why when there is none. */
function extractJson(text, file = 'the output') {
	try {
		return JSON.parse(text);
	} catch {}
	const lines = text.split('\n');
	const start = lines.findIndex((l) => l === '{' || l === '[');
	if (start === -1) throw new Error(`no JSON document found in ${file}`);
	for (let end = lines.length; end > start; end--) {
		if (lines[end - 1] !== '}' && lines[end - 1] !== ']') continue;
		try {
			return JSON.parse(lines.slice(start, end).join('\n'));
		} catch {}
	}
	throw new Error(`could not parse the JSON document in ${file}`);
}

module.exports = { extractJson };
