/**
 * How a configuration value's text becomes its value (config.ts): a parser returns the value, or
 * the raw text unchanged when it does not parse, so the schema check names the variable and what
 * it expects.
 */
export const asString = (raw: string): unknown => raw;
/** `host:port` (IPv6 in brackets), comma separated. */
export const asAddressList = (raw: string): unknown => {
  const list = raw
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const ok = list.every((a) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(a);
    return m !== null && Number(m[2]) > 0 && Number(m[2]) <= 65535;
  });
  return ok && list.length > 0 ? list : raw;
};
export const asInteger = (raw: string): unknown => (/^\d+$/.test(raw) ? Number(raw) : raw);
export const asBoolean = (raw: string): unknown => {
  const v = raw.toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  return raw;
};
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};
export const asBytes = (raw: string): unknown => {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) return raw;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : raw;
};

export const PORT_EXPECTED = 'an integer port from 0 to 65535 (0 picks a free port)';
export const BYTES_EXPECTED = 'a size in bytes, optionally with a unit: 500MB, 2GiB';
export const BOOL_EXPECTED = 'on or off';
