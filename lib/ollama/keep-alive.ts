/**
 * A Keep Alive field as Ollama's `keep_alive` takes it: a whole number is seconds (`-1` keeps the
 * model loaded, `0` unloads it at once), anything else a duration text (`30m`, `1h`); empty means
 * the server's default (`OLLAMA_KEEP_ALIVE`, 5 minutes unless set).
 */
export function parseKeepAlive(value: unknown): string | number | undefined {
	const text = String(value ?? '').trim();
	if (!text) return undefined;
	return /^-?\d+$/.test(text) ? Number(text) : text;
}
