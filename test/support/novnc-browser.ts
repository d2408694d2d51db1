/**
 * Opens a Nova-style noVNC console URL in headless Chromium (Debian's, driven
 * by playwright-core), waits until the page says it is connected and the
 * canvas shows the guest's screen (more than one colour), and saves a
 * screenshot. Used by the console tests and the seed walkthrough.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The flags this closed machine needs (no background networking, no sandbox as root). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 800, height: 480 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'kumo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: FLAGS,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface ConsoleView {
  /** Distinct colours on the canvas when it was captured. */
  colours: number;
  status: string;
  pageErrors: string[];
}

/**
 * Opens `url`, waits for `connected` and a non-uniform canvas (and, when
 * given, until `settleMs` more have passed), then screenshots to `screenshot`.
 */
export async function viewConsole(
  browser: Browser,
  url: string,
  opts: { screenshot?: string; timeoutMs?: number; settleMs?: number } = {},
): Promise<ConsoleView> {
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  const timeout = opts.timeoutMs ?? 90_000;
  await page.waitForSelector('body[data-state="connected"]', { timeout });
  // A string: this file is compiled without the DOM library.
  const distinctColours = (): Promise<number> =>
    page.evaluate<number>(`(() => {
      const canvas = document.querySelector('#screen canvas');
      if (!canvas || canvas.width === 0) return 0;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set();
      for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return colours.size;
    })()`);
  const end = Date.now() + timeout;
  let colours = await distinctColours();
  while (colours < 2 && Date.now() < end) {
    await page.waitForTimeout(500);
    colours = await distinctColours();
  }
  if (opts.settleMs) await page.waitForTimeout(opts.settleMs);
  if (opts.screenshot) {
    await mkdir(dirname(opts.screenshot), { recursive: true });
    await page.screenshot({ path: opts.screenshot });
  }
  const status = await page.locator('#status').innerText();
  await page.close();
  return { colours, status, pageErrors };
}
