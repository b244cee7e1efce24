/**
 * No shell anywhere in src/: every subprocess (tcpdump, setpriv, ss) is started by execa with a
 * program and an argument vector, so no host name, file name, filter or interface can be read by
 * a shell. The check parses every source file with the TypeScript compiler (comments and strings
 * cannot fool it) and fails on:
 *
 * - a `shell` option anywhere (`{ shell: true }`, `{ shell }`, `shell: '/bin/sh'`);
 * - node:child_process at all (its `exec`/`execSync` always use a shell; execa is the one way in);
 * - a call named exec/execSync/spawn/spawnSync/execFile/execFileSync/fork, or `.execSync(`,
 *   `.spawn(` ... on anything (RegExp's `.exec(` is the only `.exec` allowed);
 * - from execa, anything but `execa` itself (execaCommand, `$`, parseCommandString split strings);
 * - execa as a template tag (execa`cmd ${x}`), or called without an argv, or with a command built
 *   from a template string or `+`, or with a shell (sh, bash ...) as the program or in the argv
 *   (setpriv -- sh -c ...).
 *
 * The scanner is tested on bad snippets first, so a pass means something.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers.js';

const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);
const SPAWNERS = new Set(['exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);
/** What src/ may take from execa: the argv form and types. */
const EXECA_ALLOWED = new Set(['execa', 'ExecaError', 'ResultPromise', 'Result', 'Options']);
const SHELLS = /^(?:.*\/)?(?:sh|bash|dash|zsh|ksh|csh|tcsh|fish|busybox|cmd(?:\.exe)?|powershell|pwsh)$/;

interface Finding {
  file: string;
  line: number;
  rule: string;
  text: string;
}

function isExecaModule(node: ts.Node): boolean {
  return ts.isStringLiteral(node) && node.text === 'execa';
}

/** `import('execa')` or `await import('execa')`. */
function isExecaDynamicImport(node: ts.Expression): boolean {
  let e: ts.Expression = node;
  while (ts.isParenthesizedExpression(e) || ts.isAwaitExpression(e)) e = e.expression;
  return ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.ImportKeyword && e.arguments.length === 1 && isExecaModule(e.arguments[0]);
}

function calleeName(expr: ts.Expression): string | null {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  return null;
}

/** Every way `source` could reach a shell, by the rules above. */
function scanForShell(source: string, file = 'snippet.ts'): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const add = (node: ts.Node, rule: string): void => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    findings.push({ file, line: line + 1, rule, text: node.getText(sf).split('\n')[0].slice(0, 120) });
  };
  const visit = (node: ts.Node): void => {
    // The shell option, in any object literal.
    if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) && node.name.getText(sf).replace(/['"]/g, '') === 'shell') {
      add(node, 'shell option');
    }
    // child_process, however it is reached.
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && CHILD_PROCESS.has(node.moduleSpecifier.text)) {
      add(node, 'child_process');
    }
    if (ts.isCallExpression(node)) {
      const isRequireOrImport = node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require');
      if (isRequireOrImport && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0]) && CHILD_PROCESS.has(node.arguments[0].text)) add(node, 'child_process');
      const name = calleeName(node.expression);
      if (name !== null && SPAWNERS.has(name)) {
        // `/re/.exec(s)` and `re.exec(s)` are RegExp's; a bare exec(...) or any other spawner is not allowed.
        const isRegExpExec = name === 'exec' && ts.isPropertyAccessExpression(node.expression);
        if (!isRegExpExec) add(node, `${name}() call`);
      }
      if (name === 'execa' || name === 'execaSync') {
        const [command, argv] = node.arguments;
        if (command === undefined || argv === undefined || ts.isObjectLiteralExpression(argv)) add(node, 'execa without an argv');
        if (command !== undefined && (ts.isTemplateExpression(command) || ts.isNoSubstitutionTemplateLiteral(command) || ts.isBinaryExpression(command))) add(node, 'execa command built from a string');
        if (command !== undefined && ts.isStringLiteral(command) && SHELLS.test(command.text)) add(node, 'execa runs a shell');
        if (argv !== undefined && ts.isArrayLiteralExpression(argv)) {
          for (const el of argv.elements) if (ts.isStringLiteral(el) && SHELLS.test(el.text)) add(node, 'execa runs a shell');
        }
      }
    }
    // execa`...` and $`...`: a command string.
    if (ts.isTaggedTemplateExpression(node)) {
      const tag = calleeName(node.tag);
      if (tag === 'execa' || tag === 'execaSync' || tag === '$' || tag === 'execaCommand') add(node, 'execa template');
    }
    // What is taken from execa: import { x } from 'execa', const { x } = await import('execa'), (await import('execa')).x
    if (ts.isImportDeclaration(node) && isExecaModule(node.moduleSpecifier)) {
      const clause = node.importClause;
      if (clause?.name) add(node, 'execa default import');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(node, 'execa namespace import');
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) if (!EXECA_ALLOWED.has((el.propertyName ?? el.name).text)) add(el, `execa's ${(el.propertyName ?? el.name).text}`);
      }
    }
    if (ts.isVariableDeclaration(node) && node.initializer && isExecaDynamicImport(node.initializer)) {
      if (!ts.isObjectBindingPattern(node.name)) add(node, 'execa module object');
      else {
        for (const el of node.name.elements) {
          const taken = (el.propertyName ?? el.name).getText(sf);
          if (!EXECA_ALLOWED.has(taken)) add(el, `execa's ${taken}`);
        }
      }
    }
    if (ts.isPropertyAccessExpression(node) && isExecaDynamicImport(node.expression) && !EXECA_ALLOWED.has(node.name.text)) add(node, `execa's ${node.name.text}`);
    if (ts.isElementAccessExpression(node) && isExecaDynamicImport(node.expression)) add(node, 'execa module object');
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(?:[cm]?ts|[cm]?js|tsx)$/.test(name) ? [path] : [];
  });
}

describe('the shell scanner catches what it must (bad snippets)', () => {
  const bad: Array<[string, string]> = [
    ["import { exec } from 'node:child_process'; exec('ls ' + dir);", 'child_process'],
    ["import * as cp from 'child_process'; cp.execSync('ls');", 'execSync() call'],
    ["const { spawn } = require('child_process'); spawn('ls', [], { shell: true });", 'shell option'],
    ["const cp = await import('node:child_process');", 'child_process'],
    ["execa('tcpdump', args, { shell: true });", 'shell option'],
    ["const shell = true; execa('tcpdump', args, { shell });", 'shell option'],
    ["execa('tcpdump', args, { 'shell': '/bin/bash' });", 'shell option'],
    ['await execa`tcpdump -i ${iface}`;', 'execa template'],
    ['await $`tcpdump -i ${iface}`;', 'execa template'],
    ["import { execaCommand } from 'execa'; execaCommand('tcpdump -i ' + iface);", "execa's execaCommand"],
    ["import { $ } from 'execa';", "execa's $"],
    ["const { $ } = await import('execa');", "execa's $"],
    ["const run = (await import('execa')).execaCommandSync;", "execa's execaCommandSync"],
    ['execa(`tcpdump -i ${iface}`);', 'execa without an argv'],
    ['execa(`tcpdump -i ${iface}`, []);', 'execa command built from a string'],
    ["execa('tcpdump -i ' + iface, []);", 'execa command built from a string'],
    ["execa('sh', ['-c', command]);", 'execa runs a shell'],
    ["execa('/bin/bash', ['-c', command]);", 'execa runs a shell'],
    ["execa('setpriv', ['--', 'sh', '-c', command]);", 'execa runs a shell'],
    ["execa('tcpdump', { stdio: 'ignore' });", 'execa without an argv'],
    ['execSync(command);', 'execSync() call'],
    ['exec(command, () => {});', 'exec() call'],
    ["fork('x.js');", 'fork() call'],
  ];
  it.each(bad)('%s → %s', (source, rule) => {
    expect(scanForShell(source).map((f) => f.rule)).toContain(rule);
  });

  it('leaves what src/ does alone: RegExp exec, execa with an argv, "shell" in comments and strings', () => {
    const good = [
      "const m = /tcpdump version (\\S+)/.exec(text); const n = RE.exec(text);",
      "const execa = await loadExeca(); const child = execa(file, argv, { detached: true, stdin: 'ignore' });",
      "const { execa } = await import('execa'); await execa(ssPath, [...SS_ARGS], { timeout: 5000 });",
      "const loadExeca = async () => (await import('execa')).execa;",
      "import type { ResultPromise } from 'execa';",
      "// never a shell: exec(...), { shell: true }\nconst doc = 'no shell: true here, nor exec(x)';",
    ];
    for (const source of good) expect(scanForShell(source), source).toEqual([]);
  });
});

describe('src/ starts no shell', () => {
  const files = sourceFiles(join(ROOT, 'src'));

  it('no shell option, no child_process, no exec/execSync/spawn, execa only with a program and an argv', () => {
    expect(files.length).toBeGreaterThan(50);
    const findings = files.flatMap((f) => scanForShell(readFileSync(f, 'utf8'), relative(ROOT, f)));
    expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.text}`)).toEqual([]);
  });

  it('the subprocesses it does start are the known execa calls (so the scan is not vacuous)', () => {
    const calls: string[] = [];
    for (const f of files) {
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      const visit = (node: ts.Node): void => {
        if (ts.isCallExpression(node) && calleeName(node.expression) === 'execa') calls.push(`${relative(ROOT, f)}: ${node.arguments[0].getText(sf)}`);
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    // ss; tcpdump (through setpriv); the invoking user's write check (setpriv, then node);
    // tcpdump --version. A new one belongs here once it is checked to take an argv.
    expect(calls.sort()).toEqual([
      'src/record/ss.ts: ssPath',
      'src/record/tcpdump.ts: file',
      'src/record/tcpdump.ts: setpriv',
      'src/record/tcpdump.ts: tcpdumpPath',
    ]);
  });
});
