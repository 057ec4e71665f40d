import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatModel } from '../generate/chat-model.js';
import type { ChatCallOptions } from '../generate/openai-chat.js';
import { REFERENCE_TEMPLATE } from '../generate/prompt.js';
import type { Retriever } from '../retrieve/retriever.js';
import type { RetrievedChunk } from '../types.js';
import { ask } from './ask.js';

const chunk = (text: string, distance: number): RetrievedChunk => ({
  id: text,
  distance,
  text,
  source: 'faq.md',
  headings: '',
  entity: {},
});
const retriever = {
  retrieve: async () => [chunk('Data goes to MinIO.', 0.9), chunk('Metadata goes to etcd.', 0.8)],
} as unknown as Retriever;

/** A chat model that records the options of each call and answers with a fixed text. */
function recordingChat(answer: string): ChatModel & { calls: ChatCallOptions[] } {
  const calls: ChatCallOptions[] = [];
  return {
    model: 'recorder',
    endpoint: 'memory',
    calls,
    async *stream(_messages, options = {}) {
      calls.push(options);
      yield { type: 'token', text: answer };
      yield { type: 'done', model: 'recorder', finishReason: 'stop' };
    },
  };
}

test('the chat model is asked to cite as many sources as the prompt numbers, unless told not to', async () => {
  const enforced = recordingChat('In MinIO [1].');
  const result = await ask({ question: 'Where is data stored?', retriever, chat: enforced });
  assert.equal(enforced.calls[0]!.citeSources, 2);
  assert.deepEqual(
    result.citations.map((citation) => citation.number),
    [1],
  );

  const free = recordingChat('In MinIO.');
  await ask({ question: 'Where is data stored?', retriever, chat: free, enforceCitations: false });
  assert.equal(free.calls[0]!.citeSources, undefined);

  // The reference prompt does not number its context: nothing to cite.
  const reference = recordingChat('In MinIO.');
  await ask({ question: 'Where is data stored?', retriever, chat: reference, template: REFERENCE_TEMPLATE });
  assert.equal(reference.calls[0]!.citeSources, undefined);
});

test('an answer that says the sources do not answer is marked abstained; others are not', async () => {
  const declined = await ask({ question: 'How do I bake bread?', retriever, chat: recordingChat('The sources do not say.') });
  assert.equal(declined.abstained, true);
  const answered = await ask({ question: 'Where is data stored?', retriever, chat: recordingChat('In MinIO [1].') });
  assert.equal(answered.abstained, undefined);
});
