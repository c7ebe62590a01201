/**
 * The one way the chat function downloads a file for the model: the AI SDK's download hook
 * (`experimental_download` of streamText), guarded. docs/CHAT.md ("Files the model reads") is its
 * reference.
 *
 * A file whose URL the model's provider fetches itself (the SDK says so: isUrlSupportedByModel) is
 * passed on as its URL and never downloaded here. Any other URL must be https: (or one the function
 * signed itself for a Storage file, see storage.ts, which is fetched as it is); its host is resolved first
 * and refused when any address it resolves to is private, loopback, link-local, CGNAT, multicast,
 * reserved or a cloud metadata address, in IPv4, IPv6 or IPv4 mapped into IPv6, so the check happens
 * before a connection is made. Redirects are followed by hand, each hop checked the same way. Each
 * request downloads at most `maxFiles` files and `maxBytes` bytes in all, within `timeoutMs`.
 *
 * What is left: between the check and the fetch the name is resolved again by the runtime, so a name
 * whose answer changes within that instant (DNS rebinding with a zero TTL) could still reach a
 * private address; a platform egress policy closes that.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Experimental_DownloadFunction as DownloadFunction } from "ai";
import { ApiError } from "../_shared/errors.ts";

/** Resolves a host name to its addresses (node:dns by default; tests inject their own). */
export type Resolve = (host: string) => Promise<string[]>;

export interface DownloadLimits {
  /** Files downloaded per request (default 8): every file of the window the model cannot fetch counts. */
  maxFiles: number;
  /** Bytes downloaded per request, all files together (default 20 MiB). */
  maxBytes: number;
  /** For all downloads of a request together (default 15 s). */
  timeoutMs: number;
}

export const DEFAULT_DOWNLOAD_LIMITS: DownloadLimits = {
  maxFiles: 8,
  maxBytes: 20 * 1024 * 1024,
  timeoutMs: 15_000,
};

export interface GuardedDownloadOptions {
  limits?: Partial<DownloadLimits>;
  /** URLs the function wrote itself (Storage URLs it signed, see storage.ts): not checked. */
  trustedUrls?: ReadonlySet<string>;
  resolve?: Resolve;
  fetch?: typeof fetch;
}

const MAX_REDIRECTS = 3;

const systemResolve: Resolve = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** A file the guard refuses: the model call fails with this message, naming the URL's host. */
export class DownloadRefused extends ApiError {
  constructor(message: string) {
    super("invalid_request", message);
  }
}

/** IPv4 ranges no download may reach: [first address, prefix length]. */
const BLOCKED_V4: Array<[string, number]> = [
  ["0.0.0.0", 8], // this network
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

function v4Number(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

function blockedV4(address: string): boolean {
  const value = v4Number(address);
  return BLOCKED_V4.some(([first, bits]) => {
    const size = 2 ** (32 - bits);
    return value >= v4Number(first) && value < v4Number(first) + size;
  });
}

/** An IPv6 address as its eight 16-bit groups (an embedded IPv4 tail included). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase().split("%")[0];
  const v4Tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4Tail) {
    const value = v4Number(v4Tail[1]);
    text = text.slice(0, -v4Tail[1].length) +
      `${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill("0");
  return [...headGroups, ...zeros, ...tailGroups].map((group) => parseInt(group, 16));
}

function blockedV6(address: string): boolean {
  const groups = v6Groups(address);
  if (groups.length !== 8 || groups.some((group) => Number.isNaN(group))) return true;
  const v4 = `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  const leadingZeros = groups.slice(0, 5).every((group) => group === 0);
  if (leadingZeros && groups[5] === 0xffff) return blockedV4(v4); // ::ffff:a.b.c.d, IPv4-mapped
  if (leadingZeros && groups[5] === 0) return true; // ::, ::1 and the deprecated IPv4-compatible
  if (groups[0] === 0x64 && groups[1] === 0xff9b) return blockedV4(v4); // 64:ff9b::/96, NAT64
  if (groups[0] === 0x2002) return true; // 6to4 embeds any IPv4 address
  const first = groups[0];
  return (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local (fd00:ec2::254, a metadata address)
    (first & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (first & 0xffc0) === 0xfec0 || // fec0::/10 site-local
    (first & 0xff00) === 0xff00 || // ff00::/8 multicast
    (first === 0x2001 && groups[1] === 0x0db8) || // documentation
    (first === 0x2001 && groups[1] < 0x0200); // 2001::/23 IETF protocol assignments (Teredo included)
}

/** Whether a download may connect to this IP address. */
export function isPublicAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return !blockedV4(address);
  if (version === 6) return !blockedV6(address);
  return false;
}

/** The guarded download hook for one request: a fresh count of files and bytes. */
export function guardedDownload(options: GuardedDownloadOptions = {}): DownloadFunction {
  const limits = { ...DEFAULT_DOWNLOAD_LIMITS, ...options.limits };
  const resolve = options.resolve ?? systemResolve;
  const fetchNow = options.fetch ?? fetch;
  const trusted = options.trustedUrls ?? new Set<string>();
  let files = 0;
  let bytes = 0;

  async function checkUrl(url: URL): Promise<void> {
    if (trusted.has(url.href)) return;
    if (url.protocol !== "https:") {
      throw new DownloadRefused(`the file at ${url.host || url.protocol} is not an https: URL`);
    }
    if (url.username || url.password) {
      throw new DownloadRefused(`the file at ${url.host} has credentials in its URL`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const addresses = isIP(host) ? [host] : await resolve(host).catch(() => []);
    if (addresses.length === 0) throw new DownloadRefused(`the file's host ${url.host} does not resolve`);
    if (!addresses.every(isPublicAddress)) {
      throw new DownloadRefused(`the file's host ${url.host} is not a public address`);
    }
  }

  async function readCapped(response: Response, url: URL): Promise<Uint8Array> {
    const declared = Number(response.headers.get("content-length") ?? 0);
    if (bytes + declared > limits.maxBytes) throw tooLarge(url);
    const chunks: Uint8Array[] = [];
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limits.maxBytes) {
        await reader.cancel();
        throw tooLarge(url);
      }
      chunks.push(value);
    }
    const data = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
    let offset = 0;
    for (const chunk of chunks) {
      data.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return data;
  }

  const tooLarge = (url: URL) =>
    new DownloadRefused(
      `the files of this message are larger than ${limits.maxBytes} bytes (at ${url.host})`,
    );

  async function downloadOne(start: URL, signal: AbortSignal) {
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      await checkUrl(url);
      const response = await fetchNow(url, { redirect: "manual", signal });
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new DownloadRefused(`the file at ${url.host} could not be downloaded (${response.status})`);
      }
      const data = await readCapped(response, url);
      return { data, mediaType: response.headers.get("content-type")?.split(";")[0] || undefined };
    }
    throw new DownloadRefused(`the file at ${start.host} redirects more than ${MAX_REDIRECTS} times`);
  }

  return async (requests) => {
    const needed = requests.filter((request) => !request.isUrlSupportedByModel);
    files += needed.length;
    if (files > limits.maxFiles) {
      throw new DownloadRefused(
        `a request may download at most ${limits.maxFiles} files for the model; send the others to Storage or as URLs the model reads`,
      );
    }
    const timeout = AbortSignal.timeout(limits.timeoutMs);
    const results = [];
    for (const request of requests) {
      if (request.isUrlSupportedByModel) {
        results.push(null); // the provider fetches it itself
        continue;
      }
      const signal = request.abortSignal ? AbortSignal.any([request.abortSignal, timeout]) : timeout;
      try {
        results.push(await downloadOne(request.url, signal));
      } catch (error) {
        if (timeout.aborted) {
          throw new DownloadRefused(
            `the files of this message took longer than ${limits.timeoutMs} ms to download`,
          );
        }
        throw error;
      }
    }
    return results;
  };
}
