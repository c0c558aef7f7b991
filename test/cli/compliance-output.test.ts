import { describe, expect, it } from 'vitest';
import type { ComplianceReport } from '../../src/core/needs/index.js';
import { complianceCsv } from '../../src/cli/needs/compliance-csv.js';
import { escape } from '../../src/cli/needs/compliance-html.js';
import { formatTable } from '../../src/cli/needs/text.js';

/** Advisory ids and summaries come from files hvpatch does not control. */
describe('report writers with hostile text', () => {
  it('CSV quotes separators and defuses cells a spreadsheet would run as formulas', () => {
    const report = {
      byCve: [
        {
          cve: 'CVE-2024-1',
          severity: 'high',
          advisories: ['=HYPERLINK("http://x")', 'USN-1-1,2'],
          hosts: ['a'],
          notInEffect: [],
          overdue: [],
        },
      ],
    } as unknown as ComplianceReport;
    const [, line] = [...complianceCsv(report, 'cve')];
    expect(line).toBe(`CVE-2024-1,high,,,"'=HYPERLINK(""http://x"") USN-1-1,2",1,0,0\r\n`);
  });

  it('HTML escaping leaves no markup, and terminal tables no escape sequences', () => {
    expect(escape(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(formatTable(['ID'], [['USN-1\u001b[2J\u0007']])).toBe('ID\nUSN-1?[2J?');
  });
});
