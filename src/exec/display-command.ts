/** A command as a person would type it, for logs and step records (never run through a shell). */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(quote).join(" ");
}

function quote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
