/**
 * `milvus-rag chat`: a conversation in the terminal, follow-ups rewritten before retrieval.
 * @module cli/commands/chat
 */
import { createInterface } from 'node:readline';
import { ConfigError } from '../../errors.js';
import type { RetrievedChunk } from '../../types.js';
import { type GlobalOptions, positiveInteger } from '../options.js';
import { printAnswerFooter } from '../output.js';
import { type CliContext, withReadOnlyRag } from '../session.js';

export function registerChat({ program, config }: CliContext): void {
  program
    .command('chat')
    .description('a conversation in the terminal: keeps the history and rewrites follow-up questions before retrieval')
    .option('--limit <n>', 'chunks given as context', positiveInteger)
    .option('--no-enforce-citations', 'let a local model answer freely (by default its decoding must cite the sources)')
    .action(async (options: { limit?: number; enforceCitations: boolean }) => {
      const quiet = Boolean(program.opts<GlobalOptions>().quiet);
      const resolved = await config({
        search: { limit: options.limit },
        llm: { enforceCitations: options.enforceCitations ? undefined : false },
      });
      await withReadOnlyRag(resolved, quiet, async (rag, signal) => {
        if (!rag.chat) {
          throw new ConfigError(
            'config.llm-missing',
            'chat needs a chat model: configure an endpoint (see milvus-rag ask --help, --provider) or a local GGUF model (--llm-model-path)',
          );
        }
        const { Conversation } = await import('../../pipeline/conversation.js');
        const conversation = new Conversation(rag);
        const interactive = Boolean(process.stdin.isTTY);
        const lines = createInterface({ input: process.stdin, terminal: interactive });
        if (interactive) process.stderr.write(`chatting with ${rag.chat.model}; an empty line or Ctrl-D ends\n> `);
        for await (const line of lines) {
          const question = line.trim();
          if (question === '') {
            if (interactive) break;
            continue;
          }
          let sources: RetrievedChunk[] = [];
          let streamed = false;
          for await (const event of conversation.send(question, { signal })) {
            if (event.type === 'rewrite') {
              if (!quiet && event.standalone !== event.question) process.stderr.write(`(searching for: ${event.standalone})\n`);
            } else if (event.type === 'retrieval') {
              sources = event.sources;
            } else if (event.type === 'token') {
              process.stdout.write(event.text);
              streamed = true;
            } else {
              printAnswerFooter(event, sources, streamed);
            }
          }
          process.stdout.write('\n');
          if (interactive) process.stderr.write('> ');
        }
        lines.close();
      });
    });
}
