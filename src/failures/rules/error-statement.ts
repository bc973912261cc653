/**
 * A line that states an error itself: an error's header (Node's, a driver's, psql's), a
 * package manager's or bundler's error line, a tool's error code line. A rule's hit on such a
 * line was raised by the tool; a hit on any other line only mentions the failure.
 */
export const ERROR_STATEMENT =
  /^(?:Uncaught )?[A-Z]?[\w$.]{0,80}(?:Error|Exception)\b|^(?:error|ERROR|fatal|FATAL|Error code|npm (?:error|ERR!)|ERR_PNPM_\w|Type error|Module not found|psql)\b|^(?:✘|× |\[!\] |➤ YN0\d{3}: )|^\s{0,8}(?:error|ERROR)\b|\berror TS\d|^P\d{4}\b|"level": ?(?:[56]0|"error"|"fatal")[,}]/;
