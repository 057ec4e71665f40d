import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { codeLanguageOf, parseDefinitions } from './code.js';

// One small file per language with a grammar: the parser finds each definition with its name path and lines.
const SAMPLES: Array<[string, string, string[]]> = [
  [
    'a.ts',
    'import x from "y";\n\nexport class Store {\n  open(): void {}\n  close(): void {}\n}\n\nexport const helper = () => 1;\n',
    ['Store', 'Store > open', 'Store > close', 'helper'],
  ],
  [
    'a.py',
    'import os\n\n\nclass Store:\n    def open(self):\n        pass\n\n\n@cache\ndef helper():\n    return 1\n',
    ['Store', 'Store > open', 'helper'],
  ],
  [
    'a.go',
    'package main\n\ntype Store struct{}\n\nfunc (s *Store) Open() {}\n\nfunc helper() int { return 1 }\n',
    ['Store', 'Open', 'helper'],
  ],
  [
    'a.rs',
    'struct Store;\n\nimpl Store {\n    fn open(&self) {}\n}\n\nfn helper() -> i32 { 1 }\n',
    ['Store', 'Store', 'Store > open', 'helper'],
  ],
  ['A.java', 'class Store {\n  void open() {}\n}\n', ['Store', 'Store > open']],
  ['a.c', 'int helper(void) {\n  return 1;\n}\n', ['helper']],
  ['a.cs', 'namespace App {\n  class Store {\n    void Open() {}\n  }\n}\n', ['App', 'App > Store', 'App > Store > Open']],
  ['a.rb', 'class Store\n  def open\n  end\nend\n', ['Store', 'Store > open']],
  ['a.php', '<?php\nfunction helper() { return 1; }\nclass Store { function open() {} }\n', ['helper', 'Store', 'Store > open']],
  ['a.sh', 'helper() {\n  echo 1\n}\n', ['helper']],
];

describe('code definitions through tree-sitter', () => {
  for (const [file, text, expected] of SAMPLES) {
    test(`${file}: ${expected.join(', ')}`, async () => {
      const language = codeLanguageOf(file);
      assert.ok(language?.grammar, `${file} has a grammar`);
      const sections = await parseDefinitions(text, language.grammar, file);
      assert.deepEqual(
        sections.map((section) => section.path.join(' > ')),
        expected,
      );
      for (const section of sections) assert.ok(section.lines[0] >= 1 && section.lines[1] >= section.lines[0]);
    });
  }

  test('lines of a definition are 1-based and inclusive', async () => {
    const sections = await parseDefinitions('// one\n\nfunction two() {\n  return 2;\n}\n', 'typescript', 'x.ts');
    assert.deepEqual(sections, [{ path: ['two'], lines: [3, 5] }]);
  });

  test('SQL, YAML and other files without a grammar are known, to be cut in line windows', () => {
    assert.deepEqual(codeLanguageOf('q.sql'), { language: 'sql' });
    assert.deepEqual(codeLanguageOf('ci.YML'), { language: 'yaml' });
    assert.equal(codeLanguageOf('notes.md'), undefined);
  });
});
