/**
 * The part of `negotiator` (the Accept parser Apollo Server uses) that we call; the
 * package ships no types.
 */
declare module 'negotiator' {
  class Negotiator {
    constructor(request: { headers: Record<string, string | string[] | undefined> });
    /** The most preferred of `available` for the Accept header; undefined when none is acceptable. */
    mediaType(available?: readonly string[]): string | undefined;
  }
  export = Negotiator;
}
