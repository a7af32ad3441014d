/** scrypt's cost parameters, as a file header states them. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * Whether scrypt may run with the parameters a file states (key file, backup file): N a power of
 * two and below 2^(16·r) (RFC 7914; other values make scrypt throw a RangeError: N = 2^16 with
 * r = 1 did, found by fuzzing), and at most twice the memory (128·N·r bytes) and four times the
 * work (N·r·p) of the parameters this build writes. The parameters are authenticated only after
 * the key is derived, so without this a damaged r or p could ask for gigabytes and hours before
 * the file is found damaged (docs/SECURITY.md "Fuzzing").
 */
export function scryptWithinBounds(kdf: ScryptCost, own: ScryptCost): boolean {
  const memory = kdf.N * kdf.r;
  const ownMemory = own.N * own.r;
  return (
    Number.isSafeInteger(kdf.N) &&
    kdf.N > 1 &&
    (kdf.N & (kdf.N - 1)) === 0 &&
    Number.isSafeInteger(kdf.r) &&
    kdf.r >= 1 &&
    Math.log2(kdf.N) < 16 * kdf.r &&
    memory <= 2 * ownMemory &&
    memory * kdf.p <= 4 * ownMemory * own.p
  );
}
