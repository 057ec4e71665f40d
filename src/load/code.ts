/**
 * Source code and config files: the text as it is, plus, for languages with a grammar, where each
 * definition (function, class, method, type ...) starts and ends, from a real parser: tree-sitter's
 * WebAssembly build with the grammars VS Code ships (`@vscode/tree-sitter-wasm`). The splitter cuts
 * at those definitions; files without a grammar are cut in line windows.
 * @module load/code
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TreeSitter from '@vscode/tree-sitter-wasm';
import { LoadError, messageOf } from '../errors.js';
import type { CodeSection } from '../types.js';

/** Languages by file extension; `grammar` names the tree-sitter grammar that parses it, when there is one. */
export const CODE_LANGUAGES: Readonly<Record<string, { language: string; grammar?: string }>> = {
  '.ts': { language: 'typescript', grammar: 'typescript' },
  '.mts': { language: 'typescript', grammar: 'typescript' },
  '.cts': { language: 'typescript', grammar: 'typescript' },
  '.tsx': { language: 'tsx', grammar: 'tsx' },
  '.js': { language: 'javascript', grammar: 'javascript' },
  '.mjs': { language: 'javascript', grammar: 'javascript' },
  '.cjs': { language: 'javascript', grammar: 'javascript' },
  '.jsx': { language: 'javascript', grammar: 'javascript' },
  '.py': { language: 'python', grammar: 'python' },
  '.go': { language: 'go', grammar: 'go' },
  '.rs': { language: 'rust', grammar: 'rust' },
  '.java': { language: 'java', grammar: 'java' },
  // C is parsed with the C++ grammar: C's definitions are C++'s too.
  '.c': { language: 'c', grammar: 'cpp' },
  '.h': { language: 'c', grammar: 'cpp' },
  '.cc': { language: 'cpp', grammar: 'cpp' },
  '.cpp': { language: 'cpp', grammar: 'cpp' },
  '.cxx': { language: 'cpp', grammar: 'cpp' },
  '.hpp': { language: 'cpp', grammar: 'cpp' },
  '.hh': { language: 'cpp', grammar: 'cpp' },
  '.cs': { language: 'csharp', grammar: 'c-sharp' },
  '.rb': { language: 'ruby', grammar: 'ruby' },
  '.php': { language: 'php', grammar: 'php' },
  '.sh': { language: 'shell', grammar: 'bash' },
  '.bash': { language: 'shell', grammar: 'bash' },
  '.zsh': { language: 'shell', grammar: 'bash' },
  '.ps1': { language: 'powershell', grammar: 'powershell' },
  '.css': { language: 'css', grammar: 'css' },
  // No grammar in the package: line windows.
  '.sql': { language: 'sql' },
  '.kt': { language: 'kotlin' },
  '.kts': { language: 'kotlin' },
  '.swift': { language: 'swift' },
  '.scala': { language: 'scala' },
  '.lua': { language: 'lua' },
  '.r': { language: 'r' },
  '.dart': { language: 'dart' },
  '.vue': { language: 'vue' },
  '.svelte': { language: 'svelte' },
  // Config and data files, as text in line windows.
  '.json': { language: 'json' },
  '.yaml': { language: 'yaml' },
  '.yml': { language: 'yaml' },
  '.toml': { language: 'toml' },
  '.ini': { language: 'ini' },
  '.cfg': { language: 'ini' },
  '.xml': { language: 'xml' },
  '.properties': { language: 'properties' },
};

/** Node types that are definitions worth a chunk of their own, in any of the grammars. */
const DEFINITION =
  /^(function_declaration|function_definition|function_item|generator_function_declaration|method_definition|method_declaration|method|singleton_method|constructor_declaration|class_declaration|abstract_class_declaration|class_definition|class_specifier|class|interface_declaration|type_alias_declaration|enum_declaration|enum_item|struct_item|struct_specifier|trait_item|impl_item|mod_item|module|namespace_definition|namespace_declaration|type_declaration|record_declaration|trait_declaration|function_signature)$/;
/** Wrappers whose inner declaration is the definition (`export function f`, `@decorator def f`). */
const WRAPPER = /^(export_statement|decorated_definition|template_declaration)$/;
/** Top-level `const f = () => ...` and the like, a definition when it holds a function or a class. */
const VARIABLE = /^(lexical_declaration|variable_declaration)$/;

let runtime: Promise<typeof TreeSitter> | undefined;
const languages = new Map<string, Promise<TreeSitter.Language>>();

/** tree-sitter's runtime, initialised once per process. */
function treeSitter(): Promise<typeof TreeSitter> {
  runtime ??= (async () => {
    const require = createRequire(import.meta.url);
    const module = require('@vscode/tree-sitter-wasm') as typeof TreeSitter;
    const folder = path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
    await module.Parser.init({ locateFile: (file: string) => path.join(folder, file) });
    return module;
  })();
  return runtime;
}

function grammar(name: string): Promise<TreeSitter.Language> {
  let language = languages.get(name);
  if (language === undefined) {
    language = treeSitter().then((module) => {
      const folder = path.dirname(createRequire(import.meta.url).resolve('@vscode/tree-sitter-wasm'));
      return module.Language.load(path.join(folder, `tree-sitter-${name}.wasm`));
    });
    languages.set(name, language);
  }
  return language;
}

/** The language of a file name, or undefined when it is not code or config. */
export function codeLanguageOf(file: string): { language: string; grammar?: string } | undefined {
  return CODE_LANGUAGES[path.posix.extname(file.toLowerCase())];
}

/**
 * The definitions of a source file, outermost first, each with its name path (`Class > method`)
 * and its lines (1-based, inclusive). Nested definitions (methods of a class, functions of an
 * `impl` or a namespace) are listed after their container. A file the parser cannot read fails
 * with a {@link LoadError} naming it.
 */
export async function parseDefinitions(text: string, grammarName: string, location: string): Promise<CodeSection[]> {
  let tree: TreeSitter.Tree | null;
  try {
    const module = await treeSitter();
    const parser = new module.Parser();
    parser.setLanguage(await grammar(grammarName));
    tree = parser.parse(text);
    parser.delete();
  } catch (error) {
    throw new LoadError('load.parse', `${location}: cannot parse it as ${grammarName}: ${messageOf(error)}`, {
      context: { file: location },
    });
  }
  if (tree === null) return [];
  const sections: CodeSection[] = [];
  const visit = (node: TreeSitter.Node, names: string[], depth: number) => {
    for (const child of node.namedChildren) {
      if (child === null) continue;
      const definition = definitionOf(child);
      if (definition === undefined) continue;
      const path = [...names, definition.name];
      sections.push({ path, lines: [child.startPosition.row + 1, child.endPosition.row + 1] });
      // Methods of a class, functions of an impl or a namespace: one level of containers deep, and a second for nested classes.
      if (depth < 2) {
        const body =
          definition.node.childForFieldName('body') ??
          definition.node.namedChildren.find(
            (inner) => inner?.type.endsWith('body') || inner?.type === 'declaration_list' || inner?.type === 'block',
          ) ??
          undefined;
        if (body) visit(body, path, depth + 1);
      }
    }
  };
  visit(tree.rootNode, [], 0);
  tree.delete();
  return sections;
}

/** The definition a node is (itself, or what it wraps), with its name; undefined for other nodes. */
function definitionOf(node: TreeSitter.Node): { node: TreeSitter.Node; name: string } | undefined {
  if (WRAPPER.test(node.type)) {
    const inner =
      node.childForFieldName('declaration') ??
      node.childForFieldName('definition') ??
      node.namedChildren.find((child) => child !== null && (DEFINITION.test(child.type) || VARIABLE.test(child.type)));
    return inner ? definitionOf(inner) : undefined;
  }
  if (VARIABLE.test(node.type)) {
    const declarator = node.namedChildren.find((child) => child?.type === 'variable_declarator');
    const value = declarator?.childForFieldName('value');
    const name = declarator?.childForFieldName('name')?.text;
    if (!value || !name || !/function|arrow_function|class/.test(value.type)) return undefined;
    return { node, name };
  }
  if (!DEFINITION.test(node.type)) return undefined;
  const name = nameOf(node);
  return name === undefined ? undefined : { node, name };
}

function nameOf(node: TreeSitter.Node): string | undefined {
  const named = node.childForFieldName('name');
  if (named) return named.text.split('\n')[0]!.slice(0, 120);
  // C/C++ functions: the name sits in the declarator (`int main(void)` -> main).
  let declarator = node.childForFieldName('declarator');
  while (declarator && declarator.childForFieldName('declarator')) declarator = declarator.childForFieldName('declarator');
  if (declarator) return declarator.text.slice(0, 120);
  // Rust's `impl Store`: the type it implements.
  const type = node.childForFieldName('type');
  if (type) return type.text.split('\n')[0]!.slice(0, 120);
  // Go's `type X struct`: the name is in the type spec.
  const spec = node.namedChildren.find((child) => child?.type === 'type_spec');
  return spec?.childForFieldName('name')?.text;
}
