/**
 * \summary: the `sockets` command's options (commander), apart from the command itself so that
 * other commands do not load it to describe them.
 */
import type { Command } from 'commander';

export interface SocketsCommandOptions {
  /** Host names or IP literals (default fstream.binance.com); repeatable. */
  host: string[];
  /** Peer port, 1-65535 (default '443'). */
  port: string;
  /** "host:addr" (like curl --resolve): use addr for host instead of DNS; repeatable. */
  resolve: string[];
  /** Count only this process's sockets. */
  pid?: string;
  /** Repeat every interval ("2s", "500ms", "1m"; a bare number is seconds) until SIGINT/SIGTERM. */
  watch?: string;
  json?: boolean;
  /** undefined = colour on a TTY without NO_COLOR. */
  color?: boolean;
}

export const DEFAULT_HOSTS: readonly string[] = ['fstream.binance.com'];

/** --host and --resolve collect their values; a --host given replaces the default. */
function collect(defaults: string[]): (value: string, previous: string[]) => string[] {
  return (value, previous) => (previous === defaults ? [value] : [...previous, value]);
}

/** Adds the sockets command's description and options to `cmd` (main.ts adds the action). */
export function describeSocketsOptions(cmd: Command): Command {
  const hosts = [...DEFAULT_HOSTS];
  const resolves: string[] = [];
  return cmd
    .description("the host's connections now (from ss): per state and process, health, symbols = ESTAB / 7")
    .option('--host <name>', 'host name or IP address of the streams; repeat for several', collect(hosts), hosts)
    .option('--port <port>', 'server port', '443')
    .option('--resolve <host:addr>', "use addr for host instead of DNS (like curl's --resolve); repeatable", collect(resolves), resolves)
    .option('--pid <pid>', "only this process's connections (the agent's pid)")
    .option('--watch <interval>', 'repeat every interval (2s, 500ms, 1m) until Ctrl-C')
    .option('--json', 'the report as JSON')
    .option('--color', 'force colour in the text')
    .option('--no-color', 'no colour in the text');
}
