import { describe, expect, it } from 'vitest';
import { isIncomingCopy, placeGuests, type Domain } from './inventory.js';

const domain = (over: Partial<Domain>): Domain => ({
  name: 'vm1',
  host: 'lab1',
  state: 1,
  reason: 1,
  memoryMiB: 256,
  vcpus: 1,
  persistent: true,
  ...over,
});

describe('where a guest is', () => {
  it('is the source while the destination holds a paused, transient incoming copy', () => {
    const source = domain({ host: 'lab1' });
    const incoming = domain({ host: 'lab2', state: 3, reason: 2, persistent: false });
    expect(isIncomingCopy(incoming)).toBe(true);
    expect(placeGuests([incoming, source]).get('vm1')?.host).toBe('lab1');
    expect(placeGuests([source, incoming]).get('vm1')?.host).toBe('lab1');
  });

  it('is where it runs when a stale definition is left on another host', () => {
    const stale = domain({ host: 'lab1', state: 5 });
    const running = domain({ host: 'lab3' });
    expect(placeGuests([stale, running]).get('vm1')?.host).toBe('lab3');
  });
});
