import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RetrievedChunk } from '../types.js';
import { buildReferenceMessages } from './prompt.js';

const chunk = (text: string): RetrievedChunk => ({ id: 1, distance: 0.5, text, source: 'a.md', headings: '', entity: {} });

describe('buildReferenceMessages', () => {
  test('is the reference prompt: context lines joined by newlines in <context>, the question in <question>', () => {
    const [system, user] = buildReferenceMessages('How is data stored in milvus?', [chunk('first'), chunk('second')]);
    assert.equal(system!.role, 'system');
    assert.equal(
      system!.content,
      '\nHuman: You are an AI assistant. You are able to find answers to the questions from the contextual passage snippets provided.\n',
    );
    assert.equal(user!.role, 'user');
    assert.equal(
      user!.content,
      '\nUse the following pieces of information enclosed in <context> tags to provide an answer to the question enclosed in <question> tags.\n' +
        '<context>\nfirst\nsecond\n</context>\n<question>\nHow is data stored in milvus?\n</question>\n',
    );
  });

  test('placeholders inside retrieved text are not expanded', () => {
    const [, user] = buildReferenceMessages('Q?', [chunk('literal {question} and {context}')]);
    assert.match(user!.content, /literal \{question\} and \{context\}/);
    assert.equal(user!.content.match(/Q\?/g)?.length, 1);
  });
});
