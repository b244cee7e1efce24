/** \summary: `wscap analyze FILE...`: read captures, build the report, render it, write it. */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Log } from '../log.js';
import { analyzeCaptures } from '../analyze/analyze-captures.js';
import { addJsonRow, closeJsonRowSpill, newJsonRowSpill, storedRows, type JsonRowSpill } from '../render/json-rows.js';
import type { ConnectionReport, Report } from '../report/model.js';
import { escapeTerminal } from '../render/escape.js';
import { UsageError } from '../errors/usage-error.js';
import { VERSION } from './version.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { parseDuration } from './durations.js';
import { newProgressBar } from './progress.js';
import type { DiagnosisOptions } from '../analyze/diagnosis/diagnose.js';
import type { Severity } from '../report/model.js';
import { DEFAULT_RECORD_OPTIONS } from '../track/record-activity.js';

export interface AnalyzeCommandOptions {
  format: string;
  out?: string;
  serverPort: string;
  controlSize: string;
  details?: boolean;
  color?: boolean;
  failOn: string;
  symbols?: string;
  perSymbol: string;
  expect?: string;
  stall: string;
  silentAfter: string;
  massWindow: string;
  massCount: string;
  retransRate: string;
  stormCount: string;
  sni: string;
  /** --progress / --no-progress; undefined: on when stderr is a terminal and not --quiet. */
  progress?: boolean;
}

const formats = ['text', 'json', 'md', 'html', 'ndjson', 'zeek'] as const;
type Format = (typeof formats)[number];

/** --format auto: by the extension of --out (text without one). */
const FORMAT_BY_EXTENSION: Array<[RegExp, Format]> = [
  [/\.json$/i, 'json'],
  [/\.(md|markdown)$/i, 'md'],
  [/\.html?$/i, 'html'],
  [/\.(ndjson|jsonl)$/i, 'ndjson'],
  [/\.(log|tsv)$/i, 'zeek'],
];

function parseFormat(value: string, out: string | undefined): Format {
  if ((formats as readonly string[]).includes(value)) return value as Format;
  if (value === 'auto') return FORMAT_BY_EXTENSION.find(([re]) => out !== undefined && re.test(out))?.[1] ?? 'text';
  throw new UsageError(`unknown --format '${escapeTerminal(value)}' (expected: ${formats.join(', ')}, auto)`);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`--server-port must be 1-65535, got '${escapeTerminal(value)}'`);
  return port;
}

/** Record size limit: a whole number of bytes, above a TLS record header and below the largest record. */
function parseControlSize(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 6 || n > 16_645) {
    throw new UsageError(`--control-size must be a number of bytes from 6 to 16645, got '${escapeTerminal(value)}'`);
  }
  return n;
}

/** A whole number from min to max, for a count option. */
function parseCount(value: string, option: string, min: number, max = 1_000_000): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${option} must be a whole number from ${min} to ${max}, got '${escapeTerminal(value)}'`);
  return n;
}

function parsePercent(value: string, option: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 100) throw new UsageError(`${option} must be a percentage from 0 to 100, got '${escapeTerminal(value)}'`);
  return n;
}

/** The anomaly thresholds and expectations from the command line. */
function parseDiagnosis(o: AnalyzeCommandOptions): Partial<DiagnosisOptions> {
  if (o.symbols !== undefined && o.expect !== undefined) throw new UsageError('give --symbols or --expect, not both');
  const sni = o.sni.trim().toLowerCase();
  return {
    symbols: o.symbols === undefined ? null : parseCount(o.symbols, '--symbols', 1),
    perSymbol: parseCount(o.perSymbol, '--per-symbol', 1, 1000),
    expect: o.expect === undefined ? null : parseCount(o.expect, '--expect', 1),
    stallS: parseDuration(o.stall, '--stall'),
    silentAfterS: parseDuration(o.silentAfter, '--silent-after'),
    massWindowS: parseDuration(o.massWindow, '--mass-window'),
    massCount: parseCount(o.massCount, '--mass-count', 2),
    retransPercent: parsePercent(o.retransRate, '--retrans-rate'),
    stormCount: parseCount(o.stormCount, '--storm-count', 2),
    expectedSni: sni === 'any' || sni === '' ? null : sni,
  };
}

const FAIL_ON: Record<string, Severity[]> = { fail: ['fail'], warn: ['fail', 'warn'], never: [] };

export async function runAnalyze(files: string[], options: AnalyzeCommandOptions, log: Log): Promise<number> {
  const format = parseFormat(options.format, options.out);
  const serverPort = parsePort(options.serverPort);
  const records = { ...DEFAULT_RECORD_OPTIONS, controlMaxBytes: parseControlSize(options.controlSize) };
  const diagnosis = parseDiagnosis(options);
  const failOn = FAIL_ON[options.failOn];
  if (failOn === undefined) throw new UsageError(`--fail-on must be fail, warn or never, got '${escapeTerminal(options.failOn)}'`);
  const started = performance.now();
  // JSON rows are rendered as connections finish and kept off the heap (render/json-rows.ts).
  const spill = format === 'json' || format === 'ndjson' ? newJsonRowSpill(undefined, format) : undefined;
  try {
    const onRow = spill === undefined ? undefined : (row: ConnectionReport): void => addJsonRow(spill, row);
    const showProgress = options.progress ?? (process.stderr.isTTY === true && log.isLevelEnabled('warn'));
    const bar = showProgress ? newProgressBar({ write: (t) => process.stderr.write(t), isImmediate: options.progress === true }) : null;
    let report: Report;
    try {
      report = await analyzeCaptures(files, { serverPort, generator: `wscap ${VERSION}`, records, onRow, diagnosis, onProgress: bar === null ? undefined : (p) => bar.update(p) });
    } finally {
      bar?.done();
    }
    await writeReport(report, format, options, log, started, spill);
    // For cron jobs and CI: the report is written either way; the exit code says whether it matters.
    return report.anomalies.some((a) => failOn.includes(a.severity)) ? EXIT_FINDINGS : EXIT_OK;
  } finally {
    if (spill !== undefined) closeJsonRowSpill(spill);
  }
}

async function writeReport(report: Report, format: Format, options: AnalyzeCommandOptions, log: Log, started: number, spill: JsonRowSpill | undefined): Promise<void> {
  log.debug({ files: report.capture.files.length, packets: report.capture.packets, ms: Math.round(performance.now() - started) }, 'analysed');
  // Warnings are for the person at the terminal; --quiet (log level error) leaves only errors.
  if (log.isLevelEnabled('warn')) {
    for (const w of report.capture.warnings) {
      const where = w.file === null ? '' : `${escapeTerminal(w.file)}: `;
      process.stderr.write(`wscap: warning: ${where}${escapeTerminal(w.message)}\n`);
    }
  }
  const color = options.color ?? (options.out === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR);
  writeChunks(await renderChunks(report, format, spill, color, options.details === true), options.out);
}

/**
 * The report in the chosen format. Only that format's renderer is loaded: each module loaded
 * costs start-up time on every run (the HTML renderer alone is five).
 */
async function renderChunks(report: Report, format: Format, spill: JsonRowSpill | undefined, color: boolean, details: boolean): Promise<Iterable<string | Buffer>> {
  switch (format) {
    case 'json':
      return (await import('../render/json.js')).renderJsonChunks(report, spill);
    case 'ndjson':
      return spill === undefined ? [] : storedRows(spill);
    case 'md':
      return [(await import('../render/markdown.js')).renderMarkdown(report)];
    case 'html':
      return [(await import('../render/html.js')).renderHtml(report)];
    case 'zeek':
      return [(await import('../render/zeek.js')).renderZeekConnLog(report)];
    default:
      return [(await import('../render/text.js')).renderText(report, { color, details })];
  }
}

/** Writes rendered text in batches of about 1 MiB, to stdout or a new file (mode 0640). */
function writeChunks(chunks: Iterable<string | Buffer>, out: string | undefined): void {
  const fd = out === undefined ? 1 : openSync(out, 'w', 0o640);
  try {
    let batch: string[] = [];
    let size = 0;
    const flush = (): void => {
      if (batch.length > 0) writeAll(fd, batch.join(''));
      batch = [];
      size = 0;
    };
    for (const chunk of chunks) {
      if (typeof chunk !== 'string') {
        flush();
        writeAll(fd, chunk);
        continue;
      }
      batch.push(chunk);
      size += chunk.length;
      if (size >= 1 << 20) flush();
    }
    flush();
  } catch (err) {
    // The reader went away (`wscap analyze x.pcap | head`): stop writing, as other tools do.
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  } finally {
    if (fd !== 1) closeSync(fd);
  }
}

/** writeSync may write less than asked (a pipe that is full); keep going until all is out. */
function writeAll(fd: number, text: string | Buffer): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      // A non-blocking stdout pipe that is momentarily full: wait for the reader, then retry.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
