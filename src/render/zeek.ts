/**
 * \summary: a Zeek conn.log-compatible TSV, for log pipelines and zeek-cut.
 */
import type { Report } from '../report/model.js';

export function renderZeekConnLog(report: Report): string {
  void report;
  throw new Error('the zeek report is not written yet');
}
