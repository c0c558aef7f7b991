import type { Command } from 'commander';
import { EXIT } from './output.js';

/** A whole-number flag within its range, or a usage error naming the flag (exit 2). */
export function wholeNumber(program: Command, flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    program.error(`error: ${flag} must be a whole number from ${min} to ${max}, not '${text}'`, {
      exitCode: EXIT.badInput,
    });
  }
  return value;
}
