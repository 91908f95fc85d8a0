/**
 * Debian's Chromium, headless, driven by playwright-core. Missing Chromium: the browser tests skip with a
 * message, except in CI (`CI` set), where they fail (`.ci/run` installs it with apt).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export /** The part of a canvas element the pixel count reads (the tests' tsconfig has no DOM types). */
type Canvas = {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
};

export const CHROMIUM = process.env.SWAPBENCH_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

if (!HAVE_CHROMIUM) {
  const message = `no Chromium at ${CHROMIUM} (apt-get install -y chromium): the browser tests cannot run`;
  if (process.env.CI) throw new Error(message);
  console.warn(`${message}; skipped`);
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface OpenBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A fresh Chromium with its own profile folder (`--user-data-dir`, which playwright takes as the persistent
 * context's folder), removed on close. `offline`: the network is cut before any page opens.
 */
export async function launchChromium(options: { offline?: boolean } = {}): Promise<OpenBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'swapbench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 1000 },
    offline: options.offline ?? false,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go: a folder under the OS temp dir, printed once. */
export async function screenshotDir(name: string): Promise<string> {
  const dir = join(tmpdir(), 'swapbench-screenshots', name);
  await mkdir(dir, { recursive: true });
  console.info(`screenshots: ${dir}`);
  return dir;
}

/**
 * How many pixels of each chart canvas on the page are drawn (not transparent): a chart whose lines, points
 * and axes were painted has thousands; an empty canvas has none.
 */
export function paintedPixels(page: Page): Promise<number[]> {
  return page.$$eval('.chart canvas', (canvases) =>
    canvases.map((canvas) => {
      const c = canvas as unknown as Canvas;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted;
    }),
  );
}
