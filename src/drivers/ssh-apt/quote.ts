/**
 * The one way this driver turns an argument list into the command line an SSH server hands
 * to the remote user's shell. SSH carries a single string, so every argument goes through
 * `shellQuote`: a word the shell cannot read as anything but itself stays as it is, any
 * other is wrapped in single quotes, inside which a POSIX shell interprets nothing. No
 * other code builds shell text.
 */
export function shellQuote(argument: string): string {
  if (argument.includes('\0')) {
    // A C argument cannot hold NUL; the remote side would silently cut it there.
    throw new TypeError('a command argument cannot contain a NUL character');
  }
  // '=' is left out: as the first word, NAME=value would be read as an assignment.
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(argument)) return argument;
  // Close the quote, add an escaped quote, reopen: the only character single quotes cannot hold.
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('empty command');
  return argv.map(shellQuote).join(' ');
}
