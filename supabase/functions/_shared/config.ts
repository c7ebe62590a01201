/**
 * Settings come from the environment a Supabase project gives every function, plus documented
 * custom secrets. A value that cannot be used is a ConfigurationError: the request it concerns
 * answers 500 and the log line names the setting, but the function keeps running (a crash would
 * turn one bad secret into a function that no longer boots, with nothing in its log).
 */

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/** A setting's value; an empty one counts as unset, as the Supabase dashboard can leave it. */
export function setting(name: string): string | undefined {
  return Deno.env.get(name)?.trim() || undefined;
}

/**
 * A JSON object of name → key, the shape of SUPABASE_SECRET_KEYS and SUPABASE_PUBLISHABLE_KEYS;
 * the keys alone, since the names only label them.
 */
export function namedKeys(name: string): string[] {
  const value = setting(name);
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigurationError(`${name} is not JSON: expected {"<name>": "<key>", …}`);
  }
  const keys = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? Object.values(parsed)
    : null;
  if (!keys?.every((key) => typeof key === "string" && key.length > 0)) {
    throw new ConfigurationError(`${name} must be a JSON object of name → key, such as {"default": "sb_…"}`);
  }
  return keys as string[];
}
