/** \summary: `wscap analyze FILE...`: read captures, build the report, render it, write it. */
import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { analyzeCaptures } from '../analyze/analyze-captures.js';
import { renderJson } from '../render/json.js';
import { renderText } from '../render/text.js';
import { escapeTerminal } from '../render/escape.js';
import { UsageError } from '../errors/usage-error.js';
import { VERSION } from './version.js';
import { EXIT_OK } from './exit-codes.js';

export interface AnalyzeCommandOptions {
  format: string;
  out?: string;
  serverPort: string;
  color?: boolean;
}

const formats = ['text', 'json'] as const;
type Format = (typeof formats)[number];

function parseFormat(value: string, out: string | undefined): Format {
  if ((formats as readonly string[]).includes(value)) return value as Format;
  if (value === 'auto') return out?.endsWith('.json') ? 'json' : 'text';
  throw new UsageError(`unknown --format '${escapeTerminal(value)}' (expected: ${formats.join(', ')})`);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`--server-port must be 1-65535, got '${escapeTerminal(value)}'`);
  return port;
}

export async function runAnalyze(files: string[], options: AnalyzeCommandOptions, log: Logger): Promise<number> {
  const format = parseFormat(options.format, options.out);
  const serverPort = parsePort(options.serverPort);
  const started = performance.now();
  const report = await analyzeCaptures(files, { serverPort, generator: `wscap ${VERSION}` });
  log.debug({ files, packets: report.capture.packets, ms: Math.round(performance.now() - started) }, 'analysed');
  // Warnings are for the person at the terminal; --quiet (log level error) leaves only errors.
  if (log.isLevelEnabled('warn')) {
    for (const w of report.capture.warnings) {
      const where = w.file === null ? '' : `${escapeTerminal(w.file)}: `;
      process.stderr.write(`wscap: warning: ${where}${escapeTerminal(w.message)}\n`);
    }
  }
  const color = options.color ?? (options.out === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR);
  const text = format === 'json' ? renderJson(report) : renderText(report, { color });
  if (options.out === undefined) process.stdout.write(text);
  else writeFileSync(options.out, text, { mode: 0o640 });
  return EXIT_OK;
}
