import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/helpers/temp.js';
import { resolveSourcePaths } from './folder-source.js';

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
}

test('a walk honours nested .gitignore files with negations, .milvusragignore, default excludes and --exclude', async () => {
  const root = await tempDir();
  await tree(root, {
    'README.md': '# r',
    '.gitignore': 'logs/\n*.secret.md\n!keep.secret.md\n',
    'docs/a.md': '# a',
    'docs/x.secret.md': '# x',
    'docs/keep.secret.md': '# k',
    'docs/.gitignore': 'private/\n',
    'docs/private/p.md': '# p',
    'logs/today.md': '# l',
    'logs/.gitignore': '!today.md\n', // inside an excluded folder: git never reads it
    '.milvusragignore': 'drafts/\n',
    'drafts/d.md': '# d',
    'node_modules/pkg/readme.md': '# n',
    'dist/out.md': '# o',
    'src/deep/.cache/c.md': '# c',
    'package-lock.json': '{}',
    'notes/old.md': '# old',
  });
  const walk = await resolveSourcePaths(root, ['.md', '.json']);
  const kept = walk.files.map((file) => path.relative(root, file).split(path.sep).join('/')).sort();
  assert.deepEqual(kept, ['README.md', 'docs/a.md', 'docs/keep.secret.md', 'notes/old.md']);
  const skipped = Object.fromEntries(walk.skipped.map((entry) => [entry.path, entry.reason]));
  assert.deepEqual(skipped, {
    'docs/x.secret.md': 'gitignore',
    'docs/private/p.md': 'gitignore',
    'logs/today.md': 'gitignore',
    'drafts/d.md': 'milvusragignore',
    'package-lock.json': 'default',
    'dist/': 'default',
    'node_modules/': 'default',
    'src/deep/.cache/': 'default',
  });

  const noIgnore = await resolveSourcePaths(root, ['.md'], undefined, { gitignore: false, exclude: ['notes/**'] });
  const keptNoIgnore = noIgnore.files.map((file) => path.relative(root, file).split(path.sep).join('/')).sort();
  assert.deepEqual(keptNoIgnore, [
    'README.md',
    'docs/a.md',
    'docs/keep.secret.md',
    'docs/private/p.md',
    'docs/x.secret.md',
    'logs/today.md',
  ]);
  assert.equal(noIgnore.skipped.find((entry) => entry.path === 'notes/old.md')?.reason, 'exclude');
  assert.equal(noIgnore.skipped.find((entry) => entry.path === 'drafts/d.md')?.reason, 'milvusragignore', '.milvusragignore still applies');

  // A file named on its own is read whatever the rules say.
  const single = await resolveSourcePaths(path.join(root, 'docs', 'x.secret.md'), ['.md']);
  assert.equal(single.files.length, 1);
});
