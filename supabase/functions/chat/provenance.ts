/**
 * Which stored tool results the chat function itself produced, so that only those reach the model as
 * genuine results (docs/CHAT.md, "What the model trusts").
 *
 * A user can store any tool part (append-message, or update-message while a reply is in progress),
 * including an `output-available` result the function never computed. So when a tool that runs in the
 * function gives its result, the function stamps the tool part with a MAC: HMAC-SHA-256, under a key
 * only the function holds, of the call's id, tool name, state, input, output and error text (JSON with
 * sorted keys, as jsonb reorders them), kept in the part's `result_provider_metadata` under
 * `conversation_store.provenance`. A user can copy a stamp but cannot make one for other values; the
 * stamp is checked when the part is read into a prompt, and a part without a valid one is shown to
 * the model as data (prompt.ts).
 *
 * The key: CHAT_PROVENANCE_SECRET, else the project's JWT secret or first secret key, which every
 * deployed function has; without any (a bare local run), a random key per process, so results stay
 * trusted only within that process. Rotating the key turns older results into data, which is safe.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { namedKeys, setting } from "../_shared/config.ts";

/** Where the stamp lives in a tool part's result_provider_metadata (a key no provider reads). */
export const PROVENANCE_NAMESPACE = "conversation_store";

/** The fields of a tool part a stamp covers, in the store's names. */
export interface ToolResultFields {
  tool_call_id: string;
  tool_name: string;
  state: string;
  input?: unknown;
  output?: unknown;
  error_text?: string;
}

/** JSON with object keys sorted at every level: the same text before and after a jsonb round trip. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, child]) => child !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(",")}}`;
}

export interface Provenance {
  /** The stamp for a tool result the function produced. */
  stamp(fields: ToolResultFields): string;
  /** Whether `stamp` is the function's stamp of these fields. */
  verify(fields: ToolResultFields, stamp: unknown): boolean;
}

/** Provenance under `secret`. */
export function provenance(secret: string): Provenance {
  const mac = (fields: ToolResultFields) =>
    createHmac("sha256", secret).update(
      canonicalJson([
        fields.tool_call_id,
        fields.tool_name,
        fields.state,
        fields.input,
        fields.output,
        fields.error_text,
      ]),
    ).digest("hex");
  return {
    stamp: mac,
    verify(fields, stamp) {
      if (typeof stamp !== "string" || stamp.length !== 64) return false;
      return timingSafeEqual(new TextEncoder().encode(mac(fields)), new TextEncoder().encode(stamp));
    },
  };
}

const processKey = crypto.randomUUID() + crypto.randomUUID();

/** The deployed function's provenance, from its secrets. */
export function toolProvenance(): Provenance {
  return provenance(
    setting("CHAT_PROVENANCE_SECRET") ?? setting("SUPABASE_JWT_SECRET") ?? setting("JWT_SECRET") ??
      namedKeys("SUPABASE_SECRET_KEYS")[0] ?? setting("SUPABASE_SERVICE_ROLE_KEY") ?? processKey,
  );
}
