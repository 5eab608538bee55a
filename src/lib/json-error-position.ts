/**
 * Finds where a JSON text stops being valid, as a character offset plus line and column. Used only
 * to explain a parse failure (V8's own message names the position only for some errors).
 */
export function jsonErrorPosition(text: string): { position: number; line: number; column: number } {
  let index = 0;
  const fail = (): never => {
    throw index;
  };
  const space = () => {
    while (index < text.length && (text[index] === ' ' || text[index] === '\n' || text[index] === '\r' || text[index] === '\t')) index++;
  };
  const literal = (word: string) => {
    for (const character of word) if (text[index++] !== character) (index--, fail());
  };
  const string = () => {
    index++;
    while (index < text.length) {
      const character = text[index]!;
      if (character === '"') return void index++;
      if (character === '\\') {
        index++;
        const escape = text[index];
        if (escape === 'u') {
          for (let digit = 1; digit <= 4; digit++) if (!/[0-9a-fA-F]/.test(text[index + digit] ?? '')) (index += digit, fail());
          index += 5;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) fail();
        index++;
        continue;
      }
      if (character < ' ') fail();
      index++;
    }
    fail();
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
    if (match === null || match[0].length === 0) fail();
    index += match![0].length;
  };
  const value = (): void => {
    space();
    const character = text[index];
    if (character === '{') {
      index++;
      space();
      if (text[index] === '}') return void index++;
      for (;;) {
        space();
        if (text[index] !== '"') fail();
        string();
        space();
        if (text[index] !== ':') fail();
        index++;
        value();
        space();
        if (text[index] === ',') (index++, undefined);
        else if (text[index] === '}') return void index++;
        else fail();
      }
    }
    if (character === '[') {
      index++;
      space();
      if (text[index] === ']') return void index++;
      for (;;) {
        value();
        space();
        if (text[index] === ',') (index++, undefined);
        else if (text[index] === ']') return void index++;
        else fail();
      }
    }
    if (character === '"') return string();
    if (character === 't') return literal('true');
    if (character === 'f') return literal('false');
    if (character === 'n') return literal('null');
    return number();
  };
  let position = text.length;
  try {
    value();
    space();
    position = index < text.length ? index : text.length;
  } catch (thrown) {
    position = typeof thrown === 'number' ? Math.min(thrown, text.length) : 0;
  }
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return { position, line, column };
}
