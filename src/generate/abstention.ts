/**
 * Whether an answer declines: the sources do not answer the question.
 * @module generate/abstention
 */

/**
 * Whether an answer says the sources do not answer the question. The default prompt asks for
 * "The sources do not say." in that case; other wordings models use are accepted too.
 */
export function isAbstention(answer: string): boolean {
  return /\b(?:not (?:in|covered by|mentioned in|found in) the (?:provided )?(?:sources?|context)|(?:sources?|context) (?:do(?:es)? not|don't|doesn't) (?:say|mention|contain|cover|answer|provide)|(?:I|we) (?:do not|don't|cannot|can't) (?:know|find|tell|answer)|no information (?:about|on))/i.test(
    answer,
  );
}
