/**
 * `JSON.stringify(document, null, indent)` in pieces: the same bytes, but never one string
 * for the whole fleet (a 100,000-host fleet would pass V8's string length limit), and a
 * writer can flush each piece as it comes. Top-level arrays are written a batch of
 * elements at a time; each batch is stringified inside a one-key wrapper object so that
 * JSON.stringify itself indents the elements to their final depth, which is several times
 * faster than re-indenting its output.
 */
export function* jsonChunks(document: object, indent: 0 | 2 = 2, batch = 1000): Generator<string> {
  const entries = Object.entries(document).filter(
    ([, value]) => value !== undefined && typeof value !== 'function',
  );
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  const newline = indent === 0 ? '' : '\n';
  const pad = ' '.repeat(indent);
  const colon = indent === 0 ? ':' : ': ';
  // What JSON.stringify({ x: [...] }, null, indent) puts around the elements.
  const before = indent === 0 ? '{"x":[' : '{\n  "x": [\n';
  const after = indent === 0 ? ']}' : '\n  ]\n}';
  yield `{${newline}`;
  for (let e = 0; e < entries.length; e++) {
    const [key, value] = entries[e]!;
    const comma = e < entries.length - 1 ? ',' : '';
    const head = `${pad}${JSON.stringify(key)}${colon}`;
    if (!Array.isArray(value) || value.length === 0) {
      const text = JSON.stringify(value, null, indent);
      yield `${head}${indent === 0 ? text : text.replaceAll('\n', `\n${pad}`)}${comma}${newline}`;
      continue;
    }
    yield `${head}[${newline}`;
    for (let start = 0; start < value.length; start += batch) {
      const end = Math.min(value.length, start + batch);
      const wrapped = JSON.stringify({ x: value.slice(start, end) }, null, indent);
      const more = end < value.length ? ',' : '';
      yield `${wrapped.slice(before.length, wrapped.length - after.length)}${more}${newline}`;
    }
    yield `${pad}]${comma}${newline}`;
  }
  yield '}';
}
