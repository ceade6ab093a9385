import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How a value is written to Redis: one flag byte, then the JSON text, deflated when larger than
 * `compressAbove` bytes, and sealed with AES-256-GCM when a key is set ([iv 12][tag 16][data]).
 */
const COMPRESSED = 1;
const ENCRYPTED = 2;

export interface CodecOptions {
	/** Deflate values larger than this many bytes (default 8 KiB: smaller ones cost more time to inflate on every hit than they save). */
	compressAbove?: number;
	/** Secret for encryption at rest; the AES key is derived from it with HKDF. */
	encryptionKey?: string;
}

export class Codec {
	private readonly compressAbove: number;
	private readonly key?: Buffer;

	constructor(options: CodecOptions = {}) {
		this.compressAbove = options.compressAbove ?? 8192;
		if (options.encryptionKey) {
			this.key = Buffer.from(hkdfSync('sha256', options.encryptionKey, 'n8n-nodes-agent-team', 'cache-at-rest', 32));
		}
	}

	get encrypted(): boolean {
		return this.key !== undefined;
	}

	encode(json: string): Buffer {
		let flags = 0;
		let data = Buffer.from(json, 'utf8');
		if (data.length > this.compressAbove) {
			data = deflateRawSync(data, { level: 1 });
			flags |= COMPRESSED;
		}
		if (this.key) {
			const iv = randomBytes(12);
			const cipher = createCipheriv('aes-256-gcm', this.key, iv);
			const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
			data = Buffer.concat([iv, cipher.getAuthTag(), sealed]);
			flags |= ENCRYPTED;
		}
		return Buffer.concat([Buffer.of(flags), data]);
	}

	/** The JSON text back; throws when the value is sealed and this codec has no key, or the wrong one. */
	decode(raw: Buffer): string {
		const flags = raw[0];
		let data = raw.subarray(1);
		if (flags & ENCRYPTED) {
			if (!this.key) throw new Error('cached value is encrypted and no encryption key is set');
			const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, 12));
			decipher.setAuthTag(data.subarray(12, 28));
			data = Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
		} else if (this.key) {
			throw new Error('cached value is not encrypted but an encryption key is set');
		}
		if (flags & COMPRESSED) data = inflateRawSync(data);
		return data.toString('utf8');
	}
}
