// Drives Debian's chromium (headless, through puppeteer-core from web/node_modules) on
// hotref serve's web map: the page loads with a token, the hotspots layer renders, a
// click inside a hotspot opens its card with the name and count the API gives, the
// bulletin opens, nothing is fetched from outside the service, and a screenshot is kept.
// The expected values are read from the API (with the same token), not from the page.
// Usage: node map_browser.cjs ROOT URL TOKEN CODE OUT.png
"use strict";
const path = require("path");

const [root, url, token, code, png] = process.argv.slice(2);
const puppeteer = require(path.join(root, "web", "node_modules", "puppeteer-core"));
const problems = [];
const fail = (message) => { problems.push(message); };

function watch(page, origin) {
  page.on("pageerror", (e) => fail("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") fail("console error: " + m.text()); });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith("blob:") && !u.startsWith("data:")) fail("fetched from outside: " + u);
  });
  page.on("response", (r) => { if (r.status() >= 400) fail("HTTP " + r.status() + " for " + r.url()); });
}

// A point of the page inside hotspot `code`, where the map itself (not a number marker) is hit.
function pointInside(wanted) {
  const map = window.hotrefMap;
  const canvas = map.getCanvas();
  const rect = canvas.getBoundingClientRect();
  for (let y = 4; y < canvas.clientHeight; y += 4) {
    for (let x = 4; x < canvas.clientWidth; x += 4) {
      const f = map.queryRenderedFeatures([x, y], { layers: ["hotspots"] });
      if (f.length && f[0].properties.code === wanted &&
          document.elementFromPoint(rect.left + x, rect.top + y) === canvas) {
        return [rect.left + x, rect.top + y];
      }
    }
  }
  return null;
}

async function fromApi(target) {
  const res = await fetch(url + target, { headers: { Authorization: "Bearer " + token, Accept: "application/json" } });
  if (!res.ok) throw new Error(target + ": HTTP " + res.status);
  return res.json();
}

const formatted = (v) => Number(v).toLocaleString("en-GB", { maximumFractionDigits: 0 });
const rowPattern = (label, text) => new RegExp(label + "\\s+" + text.replace(/[,.%()+]/g, "\\$&") + "(\\s|$)");

async function checkMap(page, hotspots) {
  const rendered = await page.evaluate(() => window.hotrefMap.queryRenderedFeatures({ layers: ["hotspots"] }).length);
  if (!(rendered > 0)) fail("the hotspots layer rendered no feature");
  const numbers = await page.$$eval(".hotspot-number", (els) => els.map((e) => e.textContent));
  if (numbers.length !== hotspots) fail(numbers.length + " numbered hotspots on the map, the API has " + hotspots);
  const listed = await page.$$eval("#list li", (els) => els.length);
  if (listed !== hotspots) fail(listed + " hotspots in the list, the API has " + hotspots);
  const districts = await page.evaluate(() => window.hotrefMap.queryRenderedFeatures({ layers: ["districts"] }).length);
  if (!(districts > 0)) fail("no district drawn under the hotspots");
  return rendered;
}

async function checkCard(page, feature, evaluation) {
  const p = feature.properties;
  const at = await page.evaluate(pointInside, code);
  if (!at) {
    fail("no point of the map shows hotspot " + code);
    return "";
  }
  await page.mouse.click(at[0], at[1]);
  await page.waitForSelector("#card:not([hidden])", { timeout: 10000 });
  const card = await page.$eval("#card", (e) => e.innerText);
  if (!card.includes(p.name)) fail("the card does not name the hotspot '" + p.name + "':\n" + card);
  if (!rowPattern("Incidents", formatted(p.incidents)).test(card)) {
    fail("the card does not give the API's count " + formatted(p.incidents) + ":\n" + card);
  }
  if (!card.includes(code)) fail("the card does not give the code " + code);
  if (typeof p.ij_referrals !== "number") fail("the API gives no referral count for " + code + " (the test links some)");
  else if (!rowPattern("Referrals", formatted(p.ij_referrals)).test(card)) {
    fail("the card does not give the API's " + formatted(p.ij_referrals) + " referrals:\n" + card);
  }
  const e = evaluation.features.find((f) => f.properties.code === code);
  if (!e) fail("the API's evaluation has no area " + code + " (the test evaluates the run)");
  else if (typeof e.properties.percent_change === "number") {
    const change = Number(e.properties.percent_change).toLocaleString("en-GB", { maximumFractionDigits: 1 }) + " %";
    if (!rowPattern("Change", change).test(card)) fail("the card does not give the evaluation's change " + change);
  }
  return card;
}

async function checkBulletin(browser, page) {
  const opened = browser.waitForTarget((t) => t.type() === "page" && t.url().startsWith("blob:"), { timeout: 20000 });
  await page.click("#bulletin-html");
  const tab = await (await opened).page();
  await tab.waitForFunction(() => document.body && document.body.innerText.length > 0, { timeout: 20000 });
  const text = await tab.evaluate(() => document.body.innerText);
  if (!/bulletin/i.test(text)) fail("the bulletin tab does not hold the bulletin: " + text.slice(0, 200));
  await tab.close();
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.HOTREF_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--window-size=1280,860"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    watch(page, new URL(url).origin);
    await page.goto(url + "/map#token=" + encodeURIComponent(token), { waitUntil: "load" });
    await page.waitForFunction(() => window.hotrefReady === true || window.hotrefError, { timeout: 90000 });
    const error = await page.evaluate(() => window.hotrefError);
    if (error) throw new Error("the page did not load the hotspots: " + error);
    const feature = await fromApi("/collections/hotspots/items/" + encodeURIComponent(code));
    const hotspots = (await fromApi("/collections/hotspots/items?limit=1")).numberMatched;
    const evaluation = await fromApi("/collections/evaluation/items?limit=1000");
    const rendered = await checkMap(page, hotspots);
    const card = await checkCard(page, feature, evaluation);
    await page.screenshot({ path: png });
    await checkBulletin(browser, page);
    console.log("rendered " + rendered + " hotspot features; card:\n" + card);
  } finally {
    await browser.close();
  }
  if (problems.length) {
    console.error("FAIL:\n" + problems.join("\n"));
    process.exit(1);
  }
  console.log("web map: ok");
})().catch((e) => {
  console.error("FAIL: " + e.message + (problems.length ? "\n" + problems.join("\n") : ""));
  process.exit(1);
});
