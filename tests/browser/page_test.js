// Loads the page of `vit serve` in Debian's chromium (headless, driven over the DevTools protocol by
// puppeteer-core; no browser is downloaded), uploads an image, waits for the results and prints what
// the page shows as one JSON line; tests/serve/test_page.py compares it with the API's answers.
//   node page_test.js URL IMAGE SCREENSHOT.png [WIDTH HEIGHT]
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

async function main() {
  const [url, image, screenshot, width = "1100", height = "900"] = process.argv.slice(2);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "vit-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", `--user-data-dir=${profile}`],
  });
  const problems = [];
  try {
    const page = await browser.newPage();
    await page.setViewport({width: Number(width), height: Number(height)});
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("requestfailed", (r) => problems.push("request failed: " + r.url().slice(0, 100)));
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await page.goto(url, {waitUntil: "networkidle0", timeout: 60000});
    await page.waitForFunction(() => !document.getElementById("model").textContent.includes("loading"),
                               {timeout: 30000});
    const input = await page.$("#file");
    await input.uploadFile(image);
    await page.waitForFunction(() => /done$|error/.test(document.getElementById("status").textContent) ||
                                     document.getElementById("status").className === "error", {timeout: 120000});
    // Let the pictures decode before reading and photographing them.
    await page.waitForFunction(() => [...document.querySelectorAll("#preprocessed, #overlay, #neighbours img")]
      .every((img) => img.complete && img.naturalWidth > 0), {timeout: 30000});
    const shown = await page.evaluate(() => {
      const text = (id) => document.getElementById(id).textContent;
      const img = (id) => ({width: document.getElementById(id).naturalWidth, height: document.getElementById(id).naturalHeight});
      const labels = [...document.querySelectorAll("#labels tr")].map((row) => ({
        label: row.cells[0].textContent, score: row.cells[2].textContent}));
      return {
        model: text("model"), status: text("status"), status_class: document.getElementById("status").className,
        dimension: text("dimension"), norm: text("norm"), pooling: text("pooling-used"),
        first_values: text("first-values"), attention: text("attention-info"),
        labels_hidden: document.getElementById("labels-card").hidden, labels,
        neighbours_hidden: document.getElementById("neighbours-card").hidden,
        neighbours: [...document.querySelectorAll("#neighbours li")].map((item) => ({
          path: item.querySelector(".key").textContent, score: item.querySelector(".score").textContent,
          thumbnail: item.querySelector("img") ? item.querySelector("img").naturalWidth : null})),
        preprocessed: img("preprocessed"), overlay: img("overlay"),
        page_width: document.documentElement.scrollWidth, viewport_width: window.innerWidth,
      };
    });
    await page.screenshot({path: screenshot, fullPage: true});
    shown.problems = problems;
    process.stdout.write(JSON.stringify(shown) + "\n");
  } finally {
    await browser.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
