import type { Advisory } from '../advisories/index.js';
import type { Fleet } from '../model/index.js';
import type { ComponentNeeds } from '../needs/index.js';
import { newKernelImages } from './from-needs.js';
import type { ComponentWork } from './input.js';

const KERNEL_SOURCE = /^linux(?:-.*)?$/;
const IMAGE_FLAVOUR = /^linux-image-(?:unsigned-)?\d+\.\d+\.\d+-\d+(-.+)$/;

/**
 * What each component must have done for its needs to take effect: every binary it has
 * from a fixed source at the fixed version (for a kernel, the new image of the flavour it
 * runs), and the staged firmware to activate.
 */
export function componentWorkFromNeeds(
  fleet: Pick<Fleet, 'components'>,
  needs: readonly ComponentNeeds[],
  advisories: readonly Advisory[],
): ComponentWork[] {
  const components = new Map(fleet.components.map((component) => [component.id, component]));
  const byId = new Map(advisories.map((advisory) => [advisory.id, advisory]));
  const work: ComponentWork[] = [];
  for (const need of needs) {
    const component = components.get(need.component);
    if (!component) continue;
    const packages = new Map<string, string>();
    for (const fix of need.packages) {
      if (KERNEL_SOURCE.test(fix.source)) {
        const flavour = component.packages
          .map((pkg) => IMAGE_FLAVOUR.exec(pkg.name)?.[1])
          .find((found) => found !== undefined);
        const images = newKernelImages(flavour, { package: fix.source, ...fix }, byId);
        for (const image of images) packages.set(image.name, image.version);
        continue;
      }
      for (const pkg of component.packages)
        if ((pkg.source ?? pkg.name) === fix.source) packages.set(pkg.name, fix.fixed);
    }
    work.push({
      component: component.id,
      packages: [...packages].map(([name, version]) => ({ name, version })),
      firmware: need.firmware.map((entry) => ({ component: entry.component, version: entry.staged })),
    });
  }
  return work;
}
