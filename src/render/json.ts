/** \summary: JSON renderer: the report model as it is (the schemaVersion 1 contract). */
import type { Report } from '../report/model.js';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
