/**
 * JSON that PostgreSQL has already built (json_build_object, json_agg, to_json) travels to the client
 * as text: the driver hands it over as RawJson and `toJson` splices it into the response unparsed,
 * instead of parsing it into objects only to serialize them again.
 */

export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, except that RawJson values are written out as they are. */
export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) {
    return `[${value.map((item) => item === undefined ? "null" : toJson(item)).join(",")}]`;
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const fields = Object.entries(value).filter(([, field]) => field !== undefined);
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${toJson(field)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
