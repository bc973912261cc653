/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC, BEL, CR, backspace …)
 * but tab, DEL, and the C1 controls (U+0080–U+009F, CSI among them).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is matched
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Text a tenant wrote (a build's output, a database's names and values), made safe to print on
 * the operator's terminal: each control character is shown as `\xNN`, so that no escape
 * sequence it held (OSC 52 writing the clipboard, a title report typed back into the shell, a
 * carriage return or cursor move forging the lines above) is obeyed. One line in, one line out.
 */
export function terminalText(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
