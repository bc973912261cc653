/**
 * A pattern source that matches any one of the words (`a|b|c`), for words that hold no
 * pattern syntax (error codes, names): a rule can take them from a table kept elsewhere.
 */
export function anyOf(words: readonly string[]): string {
  return words.join("|");
}
