import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Campaign tests (`*.campaign.lab.test.ts`) patch every lab host for good, leaving nothing
 * for the other lab tests to patch: they run last, in name order.
 */
class CampaignsLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isCampaign = (f: TestSpecification) => f.moduleId.endsWith('.campaign.lab.test.ts');
    return [
      ...sorted.filter((f) => !isCampaign(f)),
      ...sorted.filter(isCampaign).sort((a, b) => a.moduleId.localeCompare(b.moduleId)),
    ];
  }
}

/**
 * The tests that need the real lab (lab/up): run with `npm run test:lab`. One file at a
 * time, since they share the lab's hosts and guests; real migrations and reboots take seconds.
 */
export default defineConfig({
  test: {
    include: ['test/lab/**/*.lab.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    fileParallelism: false,
    sequence: { sequencer: CampaignsLast },
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
