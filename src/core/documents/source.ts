import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import {
  findNodeAtLocation,
  parseTree,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser';
import type { InputProblem } from '../errors.js';

export type FieldPath = readonly (string | number)[];

/** A parsed input file that can still say where each of its fields was written. */
export interface SourceDocument {
  file: string;
  value: unknown;
  /** 1-based line and column of the field at `path`, or of its nearest written ancestor. */
  locate(path: FieldPath): { line: number; column: number };
}

/** Aliases expanded past this many are a "billion laughs" bomb, not an inventory. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML or JSON text. JSON goes through `JSON.parse` (fast for 100 MB inventories);
 * positions are worked out only when a problem needs one.
 */
export function parseSource(
  text: string,
  file: string,
): { document?: SourceDocument; problems: InputProblem[] } {
  if (text.trim() === '') return { problems: [{ file, line: 1, column: 1, message: 'the file is empty' }] };
  const looksLikeJson = /\.json$/i.test(file) || /^\s*[[{]/.test(text);
  return looksLikeJson && !/\.ya?ml$/i.test(file) ? parseJson(text, file) : parseYaml(text, file);
}

function parseJson(text: string, file: string): { document?: SourceDocument; problems: InputProblem[] } {
  const lines = lineStarts(text);
  let tree: JsonNode | undefined;
  const treeOf = () => (tree ??= parseTree(text, [], { allowTrailingComma: false, disallowComments: true }));
  try {
    const value: unknown = JSON.parse(text);
    return {
      problems: [],
      document: {
        file,
        value,
        locate: (path) => positionAt(lines, jsonOffset(treeOf(), path)),
      },
    };
  } catch (error) {
    const errors: ParseError[] = [];
    parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
    if (errors.length === 0) {
      const message = error instanceof Error ? error.message : String(error);
      return { problems: [{ file, line: 1, column: 1, message: `invalid JSON: ${message}` }] };
    }
    return {
      problems: errors.slice(0, 20).map((error) => ({
        file,
        ...positionAt(lines, error.offset),
        message: `invalid JSON: ${jsonErrorText(error)}`,
      })),
    };
  }
}

function jsonErrorText(error: ParseError): string {
  const name = printParseErrorCode(error.error);
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The offset of the deepest node on `path` that exists, preferring a property's key. */
function jsonOffset(root: JsonNode | undefined, path: FieldPath): number {
  if (!root) return 0;
  for (let depth = path.length; depth >= 0; depth--) {
    const node = findNodeAtLocation(root, path.slice(0, depth) as (string | number)[]);
    if (node) {
      const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
      return (key ?? node).offset;
    }
  }
  return root.offset;
}

function parseYaml(text: string, file: string): { document?: SourceDocument; problems: InputProblem[] } {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (!Array.isArray(documents)) {
    return { problems: [{ file, line: 1, column: 1, message: 'the file holds no YAML document' }] };
  }
  const problems: InputProblem[] = [];
  for (const document of documents) {
    for (const error of document.errors) {
      problems.push({ file, ...at(error.pos[0]), message: `invalid YAML: ${firstLine(error.message)}` });
    }
  }
  if (problems.length > 0) return { problems };
  if (documents.length > 1) {
    const second = documents[1]!;
    return {
      problems: [
        {
          file,
          ...at(second.range[0]),
          message: 'holds several YAML documents; put one fleet or policy in each file',
        },
      ],
    };
  }
  const document = documents[0] as Document.Parsed;
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? firstLine(error.message) : String(error);
    return { problems: [{ file, line: 1, column: 1, message: `refused: ${message}` }] };
  }
  return {
    problems: [],
    document: { file, value, locate: (path) => at(yamlOffset(document.contents, path)) },
  };
}

function yamlOffset(root: unknown, path: FieldPath): number {
  let node = root as YamlNode | null;
  let offset = node?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value as YamlNode | null;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment] as YamlNode;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionAt(starts: number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - starts[low]! + 1 };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
