import Negotiator from 'negotiator';

/**
 * Apollo Server 5's media types for a single (not incremental) result, in its order:
 * on a tie (an Accept of any type) the first wins.
 */
const SINGLE_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/** The types Apollo weighs against text/html to decide that a GET wants its landing page. */
const PAGE_OR_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'multipart/mixed; deferSpec=20220824',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed',
  'text/html',
];

/** Clients send a handful of distinct Accept values; beyond the bound (junk) the answer is just computed each time. */
const MAX_REMEMBERED = 256;

/** Negotiating costs 5–15 µs, a noticeable share of a hot-path answer: remember each Accept value's answer. */
function rememberedPerAccept<T>(decide: (accept: string) => T): (accept: string) => T {
  const answers = new Map<string, T>();
  return (accept) => {
    if (answers.has(accept)) return answers.get(accept)!;
    const answer = decide(accept);
    if (answers.size < MAX_REMEMBERED) answers.set(accept, answer);
    return answer;
  };
}

const negotiate = (accept: string, types: string[]) => new Negotiator({ headers: { accept } }).mediaType(types);
const resultTypeFor = rememberedPerAccept((accept) => negotiate(accept, SINGLE_RESULT_TYPES) ?? null);
const wantsPage = rememberedPerAccept((accept) => negotiate(accept, PAGE_OR_RESULT_TYPES) === 'text/html');

/**
 * The Content-Type Apollo Server 5 gives a single result for this Accept header, so an
 * answer from stored bytes (the hot path) looks exactly like Apollo's: no Accept →
 * application/json; otherwise what `negotiator` (the parser Apollo uses) prefers among
 * Apollo's types; null when none is acceptable (Apollo then answers 406). A copy of
 * Apollo's `chooseContentTypeForSingleResultResponse`, which the package does not export.
 */
export function singleResultContentType(accept: string | undefined): string | null {
  return accept ? resultTypeFor(accept) : SINGLE_RESULT_TYPES[0];
}

/**
 * Whether Apollo answers this request with its landing page rather than a result: a GET
 * whose Accept prefers text/html (Apollo's `prefersHTML`), e.g. a browser opening a
 * shared query link.
 */
export function prefersLandingPage(method: string | undefined, accept: string | undefined): boolean {
  return method === 'GET' && !!accept && wantsPage(accept);
}

/**
 * What every answer of /graphql depends on besides its URL and body: the Content-Type
 * (Accept), the compression (Accept-Encoding), the caller (Authorization: answers are
 * per key, so `private`) and the CORS headers (Origin). The same on the hot path and on
 * Apollo's answers, so a browser cache revalidating one with the other keeps them apart alike.
 */
export const GRAPHQL_VARY = 'Accept, Accept-Encoding, Authorization, Origin';
