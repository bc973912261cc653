// Control characters a log line may still carry (a bell, a stray escape) would garble a terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what it removes
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * `text` on lines of at most `width` characters, the first after `first`, the others after
 * `rest`: broken between words, and inside a word only when it alone is too long.
 */
export function wrapText(text: string, width: number, first: string, rest: string): string[] {
  const words = text.replaceAll("\t", "  ").replace(CONTROL, "").trimEnd().split(" ");
  const lines: string[] = [];
  let line = first;
  let hasWord = false;
  for (let word of words) {
    if (hasWord) {
      if (line.length + 1 + word.length <= width) {
        line += ` ${word}`;
        continue;
      }
      lines.push(line);
      line = rest;
      hasWord = false;
    }
    if (word === "") continue;
    while (line.length + word.length > width && line.length < width) {
      const room = width - line.length;
      lines.push(line + word.slice(0, room));
      word = word.slice(room);
      line = rest;
    }
    line += word;
    hasWord = true;
  }
  lines.push(line);
  return lines.map((l) => l.trimEnd());
}
