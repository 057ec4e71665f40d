import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RetrievedChunk } from '../types.js';
import { checkCitations, citationGrammar, markerGrammar } from './citations.js';

const chunk = (source: string, distance: number, metadata: Record<string, unknown> = {}): RetrievedChunk => ({
  id: source,
  distance,
  text: `text of ${source}`,
  source,
  headings: `H ${source}`,
  entity: { metadata },
});
const sources = [chunk('a.md', 0.9), chunk('b.pdf', 0.8, { page: 4 }), chunk('c.md', 0.7)];

describe('checkCitations', () => {
  test('keeps valid markers, in order of first mention, with file, heading path, page and distance', () => {
    const check = checkCitations('Data goes to MinIO [2]. Metadata to etcd [1][2].', sources);
    assert.deepEqual(
      check.citations.map((citation) => citation.number),
      [2, 1],
    );
    assert.deepEqual(check.citations[0], { number: 2, source: 'b.pdf', headings: 'H b.pdf', page: 4, distance: 0.8 });
    assert.deepEqual(check.invalid, []);
    assert.equal(check.cleaned, 'Data goes to MinIO [2]. Metadata to etcd [1][2].');
  });

  test('reports and removes markers that point at no source, also inside lists', () => {
    const check = checkCitations('Stored in S3 [7]. Flushed on seal [1, 4]. Also [0].', sources);
    assert.deepEqual(check.invalid, [0, 4, 7]);
    assert.deepEqual(
      check.citations.map((citation) => citation.number),
      [1],
    );
    assert.equal(check.cleaned, 'Stored in S3. Flushed on seal [1]. Also.');
  });

  test('a marker repeated in a row is kept once', () => {
    assert.equal(
      checkCitations('Kept in MinIO [1] [1] [1]. Then [2][2], then [1] [2].', sources).cleaned,
      'Kept in MinIO [1]. Then [2], then [1] [2].',
    );
  });

  test('ignores things that only look like markers: links, words, decimals', () => {
    const check = checkCitations('See [the docs](http://x) and [a] and [1.5] and [3](y).', sources);
    assert.deepEqual(check.citations, []);
    assert.deepEqual(check.invalid, []);
  });
});

describe('citationGrammar', () => {
  test('allows exactly the numbers of the given sources', () => {
    const grammar = citationGrammar(3);
    assert.match(grammar, /^number ::= "1" \| "2" \| "3"$/m);
    assert.match(citationGrammar(12), /^number ::= "1" \| .* \| "12"$/m);
  });

  test('every sentence ends in one to three markers; the text holds no brackets but Markdown links', () => {
    const grammar = citationGrammar(2, { maxSentences: 2 });
    assert.match(grammar, /^root ::= " "\? sentence \(" " sentence\)\{0,1\} "\\n"\?$/m);
    assert.match(grammar, /^sentence ::= piece\+ \[\.!\?\]\? marker\{1,3\}$/m);
    // A full stop only inside a word; a link's text is not a number, so it cannot pose as a marker.
    assert.match(grammar, /^piece ::= \[\^\\\[\\\]\\n\.!\?\] \| \[\.!\?\] \[\^\\\[\\\]\\n\.!\? \] \| link$/m);
    assert.match(grammar, /^link ::= "\[" \[\^\\\[\\\]\\n0-9 \] /m);
  });

  test('a cut sentence is closed by a number of a given source', () => {
    assert.equal(markerGrammar(2), 'root ::= ("1" | "2") "]"');
  });

  test('needs at least one source', () => {
    assert.throws(() => citationGrammar(0), /at least one source/);
    assert.throws(() => markerGrammar(0), /at least one source/);
  });
});
