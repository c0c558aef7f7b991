/** `CVE-2024-1234`, and the prefixed forms Ubuntu and Debian use for their own CVE records. */
const CVE = /^(?:UBUNTU-|DEBIAN-)?CVE-(\d{4})-(\d{4,7})$/i;

/** `UBUNTU-CVE-2024-1234` → `CVE-2024-1234`; undefined for ids that are not CVEs (USN-…, GHSA-…). */
export function normaliseCve(id: string): string | undefined {
  const match = CVE.exec(id.trim());
  return match ? `CVE-${match[1]}-${match[2]}` : undefined;
}

/** By year, then by number as a number: CVE-2023-7192 before CVE-2023-40360. */
export function compareCves(a: string, b: string): number {
  const [, yearA, numberA] = a.split('-');
  const [, yearB, numberB] = b.split('-');
  return Number(yearA) - Number(yearB) || Number(numberA) - Number(numberB);
}
