/** scrypt's cost parameters, as a file header states them. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * Whether scrypt may run with the parameters a file states (key file, backup file): N a power of
 * two (any other value makes scrypt throw a RangeError), and at most twice the memory (128·N·r
 * bytes) and four times the work (N·r·p) of the parameters this build writes. The parameters are
 * authenticated only after the key is derived, so without this a damaged r or p could ask for
 * gigabytes and hours before the file is found damaged (docs/SECURITY.md "Fuzzing").
 */
export function scryptWithinBounds(kdf: ScryptCost, own: ScryptCost): boolean {
  const memory = kdf.N * kdf.r;
  const ownMemory = own.N * own.r;
  return (
    Number.isSafeInteger(kdf.N) &&
    kdf.N > 1 &&
    (kdf.N & (kdf.N - 1)) === 0 &&
    memory <= 2 * ownMemory &&
    memory * kdf.p <= 4 * ownMemory * own.p
  );
}
