import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RetrievedChunk } from '../types.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { buildMessages, buildReferenceMessages, loadPromptTemplate } from './prompt.js';

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

describe('buildMessages', () => {
  const chunks = [chunk('best '.repeat(40)), chunk('second '.repeat(40)), chunk('third '.repeat(40))];

  test('numbers the context snippets and asks for [n] citations by default', () => {
    const { messages, used, trimmed } = buildMessages('Q?', [chunk('alpha'), chunk('beta')]);
    assert.match(messages[1]!.content, /<context>\n\[1\] alpha\n\[2\] beta\n<\/context>/);
    assert.match(messages[1]!.content, /like \[1\]/);
    assert.equal(used.length, 2);
    assert.equal(trimmed, false);
  });

  test('drops the lowest-ranked chunks first to fit the token budget', () => {
    const full = buildMessages('Q?', chunks);
    const words = (text: string) => text.split(/\s+/).length;
    const fullSize = full.messages.reduce((sum, message) => sum + words(message.content) + 4, 0);
    const { used, trimmed, messages } = buildMessages('Q?', chunks, { countTokens: words, maxPromptTokens: fullSize - 30 });
    assert.equal(trimmed, true);
    assert.equal(used.length, 2);
    assert.doesNotMatch(messages[1]!.content, /third/);
    assert.match(messages[1]!.content, /<question>\nQ\?\n<\/question>/, 'the question is never cut');
  });

  test('cuts the best chunk when it alone does not fit, and keeps the question', () => {
    const words = (text: string) => text.split(/\s+/).length;
    const { used, messages } = buildMessages('Q?', chunks, { countTokens: words, maxPromptTokens: 100 });
    assert.equal(used.length, 1);
    assert.ok(used[0]!.text.length < chunks[0]!.text.length);
    assert.ok(messages.reduce((sum, message) => sum + words(message.content) + 4, 0) <= 100);
    assert.match(messages[1]!.content, /Q\?/);
  });

  test('history goes between the system prompt and the question', () => {
    const { messages } = buildMessages('and then?', [chunk('x')], {
      history: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
      ],
    });
    assert.deepEqual(
      messages.map((message) => message.role),
      ['system', 'user', 'assistant', 'user'],
    );
  });
});

describe('loadPromptTemplate', () => {
  test('reads a template with {context} and {question}; rejects one without, naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-prompt-'));
    const good = path.join(dir, 'good.txt');
    await writeFile(good, 'Sources:\n{context}\n\nAnswer briefly: {question}');
    const template = await loadPromptTemplate(good);
    const { messages } = buildMessages('Why?', [chunk('because')], { template });
    assert.equal(messages[1]!.content, 'Sources:\n[1] because\n\nAnswer briefly: Why?');
    const bad = path.join(dir, 'bad.txt');
    await writeFile(bad, 'no placeholders here {question}');
    await assert.rejects(loadPromptTemplate(bad), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.includes(bad));
      assert.match(error.message, /lacks \{context\}/);
      return true;
    });
    await assert.rejects(loadPromptTemplate(path.join(dir, 'missing.txt')), /cannot read the prompt template/);
  });
});
