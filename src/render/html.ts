/**
 * \summary: one self-contained HTML file: verdict, anomalies, timeline, concurrency, table.
 */
import type { Report } from '../report/model.js';

export function renderHtml(report: Report): string {
  void report;
  throw new Error('the HTML report is not written yet');
}
