import { afterEach, it } from 'vitest';

export interface ConformanceOptions {
  /** Case title → why it does not hold for this implementation. */
  knownDifferences?: Record<string, string>;
}

/**
 * What every conformance suite needs inside its `describe`: a fresh subject per case,
 * disposed after it, and cases that a known difference turns into a named skip.
 */
export function conformanceHarness<Subject extends { dispose?: () => Promise<void> }>(
  makeSubject: () => Promise<Subject>,
  options: ConformanceOptions,
) {
  let subject: Subject | undefined;
  afterEach(async () => {
    await subject?.dispose?.();
    subject = undefined;
  });
  return {
    open: async () => (subject = await makeSubject()),
    test: conformanceCase(options.knownDifferences),
  };
}

/**
 * Declares a case, or, when the implementation names it as a known difference, a skipped
 * case whose title carries the reason: the one way a conformance case may be skipped.
 */
export function conformanceCase(knownDifferences: Record<string, string> = {}) {
  return (title: string, body: () => Promise<void>, timeout?: number) => {
    const reason = knownDifferences[title];
    if (reason !== undefined) it.skip(`${title} (known difference: ${reason})`, body);
    else it(title, body, timeout);
  };
}
