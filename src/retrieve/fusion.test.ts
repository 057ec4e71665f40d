import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SearchHit } from '../store/vector-store.js';
import { fuseHits } from './fusion.js';

const hits = (...pairs: Array<[string, number]>): SearchHit[] => pairs.map(([id, distance]) => ({ id, distance, entity: { text: id } }));

describe('fuseHits', () => {
  const dense = hits(['a', 0.9], ['b', 0.7], ['c', 0.5]);
  const sparse = hits(['c', 12], ['d', 8], ['a', 2]);

  test('minmax: each list scaled to 0..1 by its own best and worst, then weighted and summed', () => {
    const fused = fuseHits([dense, sparse], { type: 'minmax' });
    // a: 0.5*1 + 0.5*0 = 0.5; b: 0.5*0.5 = 0.25; c: 0.5*0 + 0.5*1 = 0.5; d: 0.5*0.6 = 0.3
    assert.deepEqual(
      fused.map((hit) => [hit.id, Number(hit.distance.toFixed(6))]),
      [
        ['a', 0.5],
        ['c', 0.5],
        ['d', 0.3],
        ['b', 0.25],
      ],
    );
    const denseHeavy = fuseHits([dense, sparse], { type: 'minmax', weights: [0.8, 0.2] });
    assert.deepEqual(
      denseHeavy.map((hit) => hit.id),
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(denseHeavy[0]!.entity, { text: 'a' });
  });

  test('rrf: 1 / (k + rank), ranks from 1', () => {
    const fused = fuseHits([dense, sparse], { type: 'rrf', k: 1 });
    // a: 1/2 + 1/4; c: 1/4 + 1/2; b: 1/3; d: 1/3
    assert.deepEqual(
      fused.map((hit) => [hit.id, Number(hit.distance.toFixed(6))]),
      [
        ['a', 0.75],
        ['c', 0.75],
        ['b', 0.333333],
        ['d', 0.333333],
      ],
    );
  });

  test('a list whose scores are all equal counts fully; an empty list adds nothing', () => {
    const fused = fuseHits([hits(['x', 3], ['y', 3]), []], { type: 'minmax' });
    assert.deepEqual(
      fused.map((hit) => [hit.id, hit.distance]),
      [
        ['x', 0.5],
        ['y', 0.5],
      ],
    );
  });
});
