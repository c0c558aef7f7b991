import { describe, expect, it } from 'vitest';
import { Killed, killSwitch } from './crash.js';

describe('killSwitch', () => {
  it('trips at the given call and every call after it throws, answers arriving late included', async () => {
    const kill = killSwitch(3);
    let resolveLate: (v: string) => void = () => undefined;
    const port = kill.wrap({
      now: () => 1,
      late: () => new Promise<string>((resolve) => (resolveLate = resolve)),
    });
    expect(port.now()).toBe(1);
    const pending = port.late();
    expect(() => port.now()).toThrow(Killed);
    resolveLate('answer');
    await expect(pending).rejects.toBeInstanceOf(Killed);
    expect(kill.dead).toBe(true);
  });

  it('never trips without a call number until killed by hand', () => {
    const kill = killSwitch();
    const port = kill.wrap({ f: () => 'ok' });
    for (let i = 0; i < 100; i++) expect(port.f()).toBe('ok');
    kill.kill();
    expect(() => port.f()).toThrow(Killed);
  });
});
