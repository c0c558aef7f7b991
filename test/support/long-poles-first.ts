import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest (about 40 s to 3 min each on the CI machine), in the order
 * they should start. Vitest starts files it has no timings for by size, which on a clean
 * clone puts these small files last: the run then ends with one worker busy and the other idle.
 */
const LONG_POLES = [
  /src\/engine\/executor\/faults\.pglite(\.part\d+)?\.test\.ts$/,
  /test\/cli\/run\.test\.ts$/,
  /src\/engine\/executor\/faults\.postgres\.test\.ts$/,
  /src\/api\/sim-runner\.owners\.test\.ts$/,
];

const rank = (spec: TestSpecification) => {
  const index = LONG_POLES.findIndex((pattern) => pattern.test(spec.moduleId));
  return index === -1 ? LONG_POLES.length : index;
};

/** Vitest's own order, with the long poles moved to the front. */
export default class LongPolesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return sorted
      .map((spec, position) => ({ spec, position }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.position - b.position)
      .map(({ spec }) => spec);
  }
}
