import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from './quote.js';

/** What a real POSIX shell makes of a quoted command line: each argument, NUL-terminated. */
function throughShell(args: readonly string[]): string[] {
  const result = spawnSync('sh', ['-c', `printf '%s\\0' ${shellCommand(args)}`], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shellQuote('qemu-system-x86')).toBe('qemu-system-x86');
    expect(shellQuote('/var/lib/hvpatch/last-transaction.json')).toBe(
      '/var/lib/hvpatch/last-transaction.json',
    );
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    // As a first word NAME=value would be an assignment, so '=' is always quoted.
    expect(shellQuote('DEBIAN_FRONTEND=noninteractive')).toBe("'DEBIAN_FRONTEND=noninteractive'");
    expect(shellQuote('~root')).toBe("'~root'");
  });

  it('refuses NUL, which no argument can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('hands a real shell back exactly the arguments it was given, whatever they hold', () => {
    const nasty = [
      'qemu; reboot',
      '$(id)',
      '`id`',
      '\'"\'"',
      '\\',
      'a\nb',
      '*',
      '-rf',
      '!!',
      '${PATH}',
      '   ',
      '#comment',
      'x=y',
      '&&',
      '|',
      '\t',
      'é ∂ 🙂',
    ];
    expect(throughShell(nasty)).toEqual(nasty);
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', '')),
          { minLength: 1, maxLength: 6 },
        ),
        (args) => {
          expect(throughShell(args)).toEqual(args);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses an empty command', () => {
    expect(() => shellCommand([])).toThrow();
  });
});
