/**
 * Headless Debian Chromium (through playwright-core) for the HTML report tests: one browser per
 * test file, each page in its own context, every request, console error and dialog kept.
 */
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from '../helpers.js';

export interface Opened {
  page: Page;
  url: string;
  requests: string[];
  errors: string[];
  dialogs: string[];
  /** Milliseconds from goto to the load event. */
  loadMs: number;
  close: () => Promise<void>;
}

export interface OpenOptions {
  javaScript?: boolean;
  bypassCSP?: boolean;
  width?: number;
  /** Timeout for each page action (load: three times this). */
  timeoutMs?: number;
}

/** Launches Chromium before the file's tests and closes it after; returns how to open a page. */
export function useBrowser(prefix: string): (html: string, options?: OpenOptions) => Promise<Opened> {
  let browser: Browser;
  const tmp = tempDir();
  let fileCount = 0;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], timeout: 30_000 });
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    tmp.cleanup();
  });
  /** Writes the page to a file and opens it. */
  return async (html, options = {}) => {
    const path = join(tmp.dir, `${prefix}-${++fileCount}.html`);
    writeFileSync(path, html);
    const url = pathToFileURL(path).href;
    const timeoutMs = options.timeoutMs ?? 20_000;
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScript ?? true,
      bypassCSP: options.bypassCSP ?? false,
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    context.setDefaultTimeout(timeoutMs);
    const page = await context.newPage();
    const opened: Opened = { page, url, requests: [], errors: [], dialogs: [], loadMs: 0, close: () => context.close() };
    page.on('request', (r) => opened.requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') opened.errors.push(m.text());
    });
    page.on('pageerror', (e) => opened.errors.push(String(e)));
    page.on('dialog', (d) => {
      opened.dialogs.push(d.message());
      void d.dismiss();
    });
    const started = performance.now();
    await page.goto(url, { waitUntil: 'load', timeout: timeoutMs * 3 });
    opened.loadMs = performance.now() - started;
    return opened;
  };
}
