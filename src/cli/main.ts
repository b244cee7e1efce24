/** \summary: the wscap command line: parses arguments, runs a command, maps failures to exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { createLogger, type Verbosity } from './logger.js';
import { runAnalyze, type AnalyzeCommandOptions } from './analyze-command.js';
import { describeRecordOptions, type RecordCommandOptions } from './record-options.js';
import { describeSocketsOptions, type SocketsCommandOptions } from './sockets-options.js';
import { VERSION } from './version.js';
import { DEFAULT_RECORD_OPTIONS } from '../track/record-activity.js';
import { DEFAULT_DIAGNOSIS_OPTIONS } from '../analyze/diagnosis/diagnose.js';
import { EXIT_INTERNAL, EXIT_USAGE } from './exit-codes.js';
import { CaptureFileError } from '../errors/capture-file-error.js';
import { UsageError } from '../errors/usage-error.js';
import { RecordError } from '../errors/record-error.js';
import { escapeTerminal } from '../render/escape.js';

interface GlobalOptions {
  verbose?: boolean;
  quiet?: boolean;
}

function verbosityOf(options: GlobalOptions): Verbosity {
  if (options.verbose) return 'verbose';
  if (options.quiet) return 'quiet';
  return 'normal';
}

function fail(message: string): void {
  process.stderr.write(`wscap: error: ${message}\n`);
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('wscap')
    .description('Record and explain the TCP/TLS connections to Binance futures WebSocket streams.')
    .version(VERSION, '-V, --version')
    .option('-v, --verbose', 'diagnostic logs on stderr (pino JSON lines)')
    .option('-q, --quiet', 'only errors on stderr')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('analyze')
    .description('analyse capture files (pcap, pcapng, optionally .gz) and write a report')
    .argument('<files...>', 'capture files; several are merged in timestamp order (a rotated recording)')
    .addOption(new Option('-f, --format <format>', 'report format: text, json, md (tickets), html (one file), ndjson, zeek (conn.log TSV); auto = by the --out extension').choices(['text', 'json', 'md', 'html', 'ndjson', 'zeek', 'auto']).default('auto'))
    .option('-o, --out <file>', 'write the report to FILE instead of stdout (format from its extension with auto)')
    .option('--server-port <port>', 'without a SYN, the side on this port is the server', '443')
    .option('--details', 'text report: a few more lines per connection (TLS, records, RTT, counts); also on with -v')
    .option(
      '--control-size <bytes>',
      'TLS records smaller than this (on the wire) are control-size: ping, pong, close',
      String(DEFAULT_RECORD_OPTIONS.controlMaxBytes),
    )
    .option('--color', 'force colour in the text report')
    .option('--no-color', 'no colour in the text report')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when an anomaly is this severe or worse').choices(['fail', 'warn', 'never']).default('fail'))
    .option('--symbols <n>', 'expected symbols: expect symbols × --per-symbol connections (anomaly connection-count)')
    .option('--per-symbol <n>', 'connections per symbol (one per kline interval)', String(DEFAULT_DIAGNOSIS_OPTIONS.perSymbol))
    .option('--expect <n>', 'expected connections (instead of --symbols)')
    .option('--stall <time>', 'anomaly stall: a server data silence longer than this', `${DEFAULT_DIAGNOSIS_OPTIONS.stallS}s`)
    .option('--silent-after <time>', 'anomaly silent: open this long without one data-size record', `${DEFAULT_DIAGNOSIS_OPTIONS.silentAfterS}s`)
    .option('--mass-window <time>', 'anomaly mass-disconnect: server-side closes within this window...', `${DEFAULT_DIAGNOSIS_OPTIONS.massWindowS}s`)
    .option('--mass-count <n>', '... at least this many of them', String(DEFAULT_DIAGNOSIS_OPTIONS.massCount))
    .option('--retrans-rate <percent>', 'anomaly retransmissions: above this share of all packets', String(DEFAULT_DIAGNOSIS_OPTIONS.retransPercent))
    .option('--storm-count <n>', 'anomaly reconnect-storm: this many short-lived attempts within a minute', String(DEFAULT_DIAGNOSIS_OPTIONS.stormCount))
    .option('--progress', 'progress bar on stderr even when it is not a terminal')
    .option('--no-progress', 'no progress bar (default: on a terminal, unless --quiet)')
    .option('--sni <host>', "anomaly sni: the server name the agent should send ('any': no check)", DEFAULT_DIAGNOSIS_OPTIONS.expectedSni ?? 'any')
    .action(async (files: string[], options: AnalyzeCommandOptions) => {
      const globals = program.opts<GlobalOptions>();
      const log = createLogger(verbosityOf(globals));
      if (globals.verbose) options.details = true;
      try {
        exitCode = await runAnalyze(files, options, log);
      } catch (err) {
        exitCode = handleError(err, log);
      }
    });

  describeRecordOptions(program.command('record')).action(async (options: RecordCommandOptions) => {
    const log = createLogger(verbosityOf(program.opts<GlobalOptions>()));
    try {
      // Loaded only when used: `wscap analyze` starts faster without the recorder's modules.
      const { runRecord } = await import('./record-command.js');
      exitCode = await runRecord(options, log, argv);
    } catch (err) {
      exitCode = handleError(err, log);
    }
  });

  describeSocketsOptions(program.command('sockets')).action(async (options: SocketsCommandOptions) => {
    const log = createLogger(verbosityOf(program.opts<GlobalOptions>()));
    try {
      const { runSockets } = await import('./sockets-command.js');
      exitCode = await runSockets(options, log);
    } catch (err) {
      exitCode = handleError(err, log);
    }
  });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; anything else is a usage error.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return handleError(err, createLogger('normal'));
  }
  return exitCode;
}

function handleError(err: unknown, log: ReturnType<typeof createLogger>): number {
  if (err instanceof CaptureFileError) {
    fail(escapeTerminal(err.message));
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    fail(err.message);
    return EXIT_USAGE;
  }
  if (err instanceof RecordError) {
    fail(err.fix ? `${err.message}; ${err.fix}` : err.message);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    // Output file problems (EACCES, ENOSPC...): the user's environment, not a bug.
    fail(escapeTerminal(`${e.syscall} ${e.path ?? ''}: ${e.code}`));
    return EXIT_USAGE;
  }
  log.debug({ err }, 'internal error');
  fail(`internal error: ${escapeTerminal(String((err as Error)?.message ?? err))} (run with --verbose for details)`);
  return EXIT_INTERNAL;
}
