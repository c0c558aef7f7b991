/**
 * `npm run bench -- generate [--hosts N] [--seed S]`: generates a fleet (10,000 hosts by
 * default, ~200,000 guests) and serialises it as `hvpatch fleet generate` does, against a
 * 10 s target for the whole; the baseline is JSON.stringify of the whole document in one
 * string, measured in the same run, which the piecewise writer must not lose to.
 */
import { fleetToDocument, generateFleet, jsonChunks } from '../src/core/generate/index.js';

const TARGET_SECONDS = 10;

export default async function run(args: string[]): Promise<void> {
  const hosts = numberFlag(args, '--hosts', 10_000);
  const seed = numberFlag(args, '--seed', 1);

  const started = performance.now();
  const fleet = generateFleet({ hosts, seed });
  const generated = performance.now();
  const document = fleetToDocument(fleet);
  let bytes = 0;
  for (const chunk of jsonChunks(document, 2)) bytes += Buffer.byteLength(chunk);
  const serialised = performance.now();

  // The wall time above is the cold run a user sees; the comparison below runs both
  // writers again on a warm heap, so that neither pays the other's garbage collection.
  const baselineStart = performance.now();
  const whole = JSON.stringify(document, null, 2).length;
  const baseline = performance.now() - baselineStart;
  const warmStart = performance.now();
  let warmLength = 0;
  for (const chunk of jsonChunks(document, 2)) warmLength += chunk.length;
  const warm = performance.now() - warmStart;
  if (warmLength !== whole) throw new Error(`pieces hold ${warmLength} characters, JSON.stringify ${whole}`);

  const generateS = (generated - started) / 1000;
  const serialiseS = (serialised - generated) / 1000;
  const totalS = (serialised - started) / 1000;
  const line = (text: string) => process.stdout.write(`${text}\n`);
  line(
    `fleet        ${fleet.hosts.length} hosts, ${fleet.guests.length} guests, ${fleet.services.length} services, ${fleet.clusters.length} clusters (seed ${seed})`,
  );
  line(
    `generate     ${generateS.toFixed(2)} s  (${Math.round(fleet.hosts.length / generateS)} hosts/s, ${Math.round(fleet.guests.length / generateS)} guests/s)`,
  );
  line(
    `serialise    ${serialiseS.toFixed(2)} s  (${(bytes / 1e6).toFixed(1)} MB JSON, ${(bytes / 1e6 / serialiseS).toFixed(0)} MB/s)`,
  );
  line(
    `baseline     ${(baseline / 1000).toFixed(2)} s  one-piece JSON.stringify of ${(whole / 1e6).toFixed(1)} MB (warm); pieces, warm: ${(warm / 1000).toFixed(2)} s = ${(warm / baseline).toFixed(2)}× that`,
  );
  line(
    `wall time    ${totalS.toFixed(2)} s  = ${(totalS / TARGET_SECONDS).toFixed(2)}× the ${TARGET_SECONDS} s target`,
  );
  const pass = totalS < TARGET_SECONDS;
  line(`target < ${TARGET_SECONDS} s: ${pass ? 'PASS' : 'FAIL'}`);
  if (!pass) process.exitCode = 1;
}

function numberFlag(args: string[], flag: string, fallback: number): number {
  const at = args.indexOf(flag);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`${flag} needs a whole number, not '${args[at + 1] ?? ''}'\n`);
    process.exit(2);
  }
  return value;
}
