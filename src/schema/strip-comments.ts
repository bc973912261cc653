/**
 * The text with its `//` line comments and `/* … *\/` block comments blanked out, leaving
 * strings (delimited by any of `quotes`) untouched, so a `//` inside a URL is not a comment.
 * Line breaks are kept, so line-anchored patterns still work on the result.
 */
export function stripComments(text: string, quotes = '"'): string {
  let result = "";
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    const next = text[index + 1];
    if (quotes.includes(char)) {
      const end = endOfString(text, index, char);
      result += text.slice(index, end);
      index = end;
    } else if (char === "/" && next === "/") {
      const end = text.indexOf("\n", index);
      index = end === -1 ? text.length : end;
    } else if (char === "/" && next === "*") {
      const end = text.indexOf("*/", index + 2);
      const comment = text.slice(index, end === -1 ? text.length : end + 2);
      result += comment.replace(/[^\n]/g, " ");
      index += comment.length;
    } else {
      result += char;
      index += 1;
    }
  }
  return result;
}

function endOfString(text: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < text.length && text[index] !== quote) {
    // An unterminated string ends at the line's end, as a tokenizer would recover.
    if (text[index] === "\n" && quote !== "`") return index;
    index += text[index] === "\\" ? 2 : 1;
  }
  return Math.min(index + 1, text.length);
}
