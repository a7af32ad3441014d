/** Strict base64url without padding: undefined for anything else (Buffer's decoder is lenient). */
export function decodeBase64UrlStrict(text: string, maxBytes: number): Uint8Array | undefined {
  if (text.length === 0 || text.length > Math.ceil((maxBytes * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(text)) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
