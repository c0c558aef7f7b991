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
    test: (title: string, body: () => Promise<void>) => {
      const reason = options.knownDifferences?.[title];
      if (reason !== undefined) it.skip(`${title} (known difference: ${reason})`, body);
      else it(title, body);
    },
  };
}
