/**
 * \summary: Markdown renderer (GitHub / GitLab flavoured), for incident tickets.
 */
import type { Report } from '../report/model.js';

export function renderMarkdown(report: Report): string {
  void report;
  throw new Error('the Markdown report is not written yet');
}
