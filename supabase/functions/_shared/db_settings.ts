/**
 * The database's connection settings, read from the environment: the URL, TLS and the pool's size.
 */
import { ConfigurationError, setting } from "./config.ts";

/** What node-postgres needs to connect, read from the environment. */
export interface ConnectionSettings {
  connectionString: string;
  ssl: false | { rejectUnauthorized: boolean; ca?: string; checkServerIdentity?: () => undefined };
  max: number;
}

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/**
 * DATABASE_URL when it is set (a custom secret: on Supabase, the transaction pooler's URL), else
 * SUPABASE_DB_URL (the direct connection every function is given).
 *
 * `sslmode` has libpq's meaning, which node-postgres does not give it: there `require` verifies the
 * certificate, so a database signed by a private CA (as Supabase's are) never connects. The URL's
 * sslmode is taken out and turned into explicit options:
 * - none, `disable`, `allow`: no TLS (node-postgres cannot try plain text first and TLS after);
 * - `prefer`, `require`: TLS, the certificate unchecked; node-postgres cannot fall back to plain text,
 *   so `prefer` fails against a server without TLS. With DATABASE_CA_CERT, `require` verifies the
 *   chain, as libpq does when it has a root certificate;
 * - `verify-ca`: the chain verified against DATABASE_CA_CERT, whatever the host name;
 * - `verify-full`: the chain (against DATABASE_CA_CERT, or else the system's roots) and the host name.
 * DATABASE_CA_CERT is PEM text, since a deployed function has no files of its own; for the same
 * reason libpq's file parameters (sslrootcert, sslcert, sslkey, …) are refused.
 *
 * DB_POOL_MAX (default 5) caps each instance's connections: a request holds one for a single round
 * trip of a few milliseconds, so a few serve an instance's traffic, and every instance of every
 * function counts against the pooler's client limit (or max_connections when direct).
 */
export function connectionSettings(read: (name: string) => string | undefined = setting): ConnectionSettings {
  const source = read("DATABASE_URL") ? "DATABASE_URL" : "SUPABASE_DB_URL";
  const value = read(source);
  if (!value) throw new ConfigurationError("neither DATABASE_URL nor SUPABASE_DB_URL is set");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `${source} is not a URL such as postgresql://user:password@host:6543/postgres`,
    );
  }
  const mode = url.searchParams.get("sslmode") ?? "disable";
  if (!SSL_MODES.includes(mode)) {
    throw new ConfigurationError(`${source} has an unknown sslmode; use one of ${SSL_MODES.join(", ")}`);
  }
  url.searchParams.delete("sslmode");
  url.searchParams.delete("uselibpqcompat"); // node-postgres' switch to libpq's meanings, which hold here anyway
  const otherSslParameter = [...url.searchParams.keys()].find((name) => name.startsWith("ssl"));
  if (otherSslParameter) {
    throw new ConfigurationError(
      `${source} sets ${otherSslParameter}: only sslmode is read from the URL; give the CA's PEM text in DATABASE_CA_CERT`,
    );
  }
  const ca = read("DATABASE_CA_CERT");
  if (ca && !ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigurationError("DATABASE_CA_CERT must be PEM text (-----BEGIN CERTIFICATE----- …)");
  }
  if (mode === "verify-ca" && !ca) {
    // Any certificate a public CA signed would pass: verify-ca only means something with a private CA.
    throw new ConfigurationError("sslmode=verify-ca needs the CA in DATABASE_CA_CERT; or use verify-full");
  }
  const max = Number(read("DB_POOL_MAX") ?? 5);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new ConfigurationError("DB_POOL_MAX must be a whole number from 1 to 100");
  }

  const anyHost = () => undefined;
  const ssl: ConnectionSettings["ssl"] = mode === "verify-full"
    ? { rejectUnauthorized: true, ca }
    : mode === "verify-ca" || (mode === "require" && ca)
    ? { rejectUnauthorized: true, ca, checkServerIdentity: anyHost }
    : mode === "require" || mode === "prefer"
    ? { rejectUnauthorized: false }
    : false;
  return { connectionString: url.toString(), ssl, max };
}
