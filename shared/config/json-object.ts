/**
 * The one reading of a JSON-object variable (PRESETS, SOURCES, WATERMARKS): JSON, and an object
 * (not an array or a scalar). Throws an Error whose message the config loaders prefix with the
 * variable's name: `is not valid JSON: …`, or `must be a JSON object of <what>, such as <example>`.
 */
export function parseJsonObject(json: string, what: string, example: string): Record<string, unknown> {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch (err) {
    throw new Error(`is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new Error(`must be a JSON object of ${what}, such as ${example}`);
  }
  return record as Record<string, unknown>;
}
