/**
 * The limits of one CXone signal, defined once: the gateway's client (`src/nice`), its GraphQL
 * validation (through config) and the simulator (`simulator/`) all read them from here, so a value
 * the gateway accepts is one the simulator (standing in for CXone) accepts too.
 *
 * Sources (docs/architecture.md, "CXone wire contract"): the nine params p1..p9 are sourced
 * (NICE's Signal API and SDK). CXone documents no length limit for a param nor for the request
 * line: both values below are *inferred* (a common front-end request-line limit is 8 KiB, and long
 * query strings are why NICE's own connector moved the params into the JSON body).
 */

/** A signal carries p1..p9. Sourced. */
export const MAX_SIGNAL_PARAMS = 9;

/** Longest value of one param, in characters (Unicode code points). Inferred. */
export const MAX_SIGNAL_PARAM_LENGTH = 1000;

/** Longest request line (`POST /path?query HTTP/1.1`) a CXone front end accepts, in bytes. Inferred. */
export const MAX_REQUEST_LINE_BYTES = 8192;

/** The names of the params, in order. */
export const SIGNAL_PARAM_NAMES = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'] as const;

/**
 * The length of a param as the limits count it: code points, so that an emoji counts as one
 * character on every side (JavaScript's `.length` would count two).
 */
export function signalParamLength(value: string): number {
  return [...value].length;
}

/**
 * Bytes of the HTTP/1.1 request line a request with this method and path (query included) starts
 * with. Counted as latin1 because that is how Node hands a server the raw request target (one
 * character per byte) and a client's URL is percent-encoded ASCII anyway.
 */
export function requestLineBytes(method: string, pathAndQuery: string): number {
  return Buffer.byteLength(`${method} ${pathAndQuery} HTTP/1.1`, 'latin1');
}
