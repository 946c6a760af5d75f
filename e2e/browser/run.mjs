// Opens nflsync's live page in headless Chromium, waits until the
// scoreboard and the followed player have updated from live messages, and
// saves a screenshot. Usage: node run.mjs PAGE_URL SCREENSHOT_PATH
//
// It prints one JSON line with what it saw and exits 1 with a message on
// stderr when a check fails.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [pageURL, screenshotPath] = process.argv.slice(2);
if (!pageURL || !screenshotPath) {
  console.error("usage: node run.mjs PAGE_URL SCREENSHOT_PATH");
  process.exit(2);
}

const waitMs = 60_000;
const userDataDir = mkdtempSync(join(tmpdir(), "nflsync-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 820 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

let failed = false;
try {
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  await page.goto(pageURL);
  await step("the WebSocket to open", () =>
    page.waitForSelector('#status[data-state="open"]', { timeout: waitMs }));

  // The scoreboard updates: a week appears, then the next week replaces it
  // when the replay reveals the first one's results.
  await step("the scoreboard to show games", () =>
    page.waitForSelector("#scoreboard tbody tr", { timeout: waitMs }));
  const firstWeek = await page.textContent("#scoreboard-week");
  await step(`the scoreboard to move on from${firstWeek}`, () =>
    page.waitForFunction((week) => {
      const current = document.querySelector("#scoreboard-week").textContent;
      return current !== week && document.querySelector("#scoreboard tbody tr");
    }, firstWeek, { timeout: waitMs }));

  // The followed player updates: a week row appears, then more.
  await step("the player's first week", () =>
    page.waitForSelector("#player-weeks tbody tr", { timeout: waitMs }));
  const firstWeeks = await page.locator("#player-weeks tbody tr").count();
  await step(`more than ${firstWeeks} player weeks`, () =>
    page.waitForFunction((count) => document.querySelectorAll("#player-weeks tbody tr").length > count,
      firstWeeks, { timeout: waitMs }));

  const summary = {
    status: await page.textContent("#status"),
    scoreboardWeek: (await page.textContent("#scoreboard-week")).trim(),
    scoreboardGames: await page.locator("#scoreboard tbody tr").count(),
    scoreboardRows: (await page.locator("#scoreboard tbody tr").allInnerTexts()).map((row) => row.replace(/\s+/g, " ")),
    player: await page.textContent("#player-name"),
    playerWeeks: await page.locator("#player-weeks tbody tr").count(),
    consoleErrors,
  };
  await page.screenshot({ path: screenshotPath, fullPage: true });
  console.log(JSON.stringify(summary));
  if (consoleErrors.length > 0) {
    console.error(`page logged errors: ${consoleErrors.join("; ")}`);
    failed = true;
  }
} catch (error) {
  console.error(error.message);
  failed = true;
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

async function step(what, wait) {
  try {
    return await wait();
  } catch (error) {
    throw new Error(`timed out waiting for ${what}: ${error.message.split("\n")[0]}`);
  }
}
