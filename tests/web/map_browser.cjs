// Drives Debian's chromium (headless, through puppeteer-core from web/node_modules) on
// hotref serve's web map: the page loads with a token, the hotspots layer renders, a
// click inside a hotspot opens its card with the name and count the API gives, the
// bulletin opens, nothing is fetched from outside the service, and a screenshot is kept.
// The expected values are read from the API (with the same token), not from the page.
// The run selector lists /v1/runs and switching reloads that run's hotspots; a planner sees
// no referral form; a caseworker fills and submits it (the referral is then in GET
// /v1/referrals), and a bad value shows the API's own message naming the field.
// Usage: node map_browser.cjs ROOT URL TOKEN CODE OUT.png CASEWORKER_TOKEN
"use strict";
const path = require("path");

const [root, url, token, code, png, caseworker] = process.argv.slice(2);
const puppeteer = require(path.join(root, "web", "node_modules", "puppeteer-core"));
const problems = [];
const fail = (message) => { problems.push(message); };

function watch(page, origin) {
  page.on("pageerror", (e) => fail("page error: " + e.message));
  // A refused referral's 422 is logged by the browser as a failed resource (checked below, on purpose).
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 422/.test(m.text())) fail("console error: " + m.text());
  });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith("blob:") && !u.startsWith("data:")) fail("fetched from outside: " + u);
  });
  page.on("response", (r) => {
    // The bad referral is meant to be refused (422): its message is checked on the page.
    const refused = r.status() === 422 && r.url().endsWith("/v1/referrals") && r.request().method() === "POST";
    if (r.status() >= 400 && !refused) fail("HTTP " + r.status() + " for " + r.url());
  });
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

async function fromApi(target, who) {
  const res = await fetch(url + target,
                          { headers: { Authorization: "Bearer " + (who || token), Accept: "application/json" } });
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

// The run selector: every run of /v1/runs; another run's hotspots replace the served run's.
async function checkRuns(page, hotspots) {
  const runs = (await fromApi("/v1/runs")).runs;
  if (runs.length < 2) fail("the test needs two runs, /v1/runs lists " + runs.length);
  const options = await page.$$eval("#run option", (els) => els.map((e) => e.value));
  if (options.length !== runs.length) fail(options.length + " runs in the selector, /v1/runs lists " + runs.length);
  const served = runs.find((r) => r.served);
  const other = runs.find((r) => !r.served);
  if (!served || !other) return;
  const want = (await fromApi("/v1/runs/" + other.id + "/hotspots")).features;
  await page.select("#run", String(other.id));
  await page.waitForFunction((id) => window.hotrefRun === id, { timeout: 60000 }, other.id);
  const numbers = await page.$$eval(".hotspot-number", (els) => els.length);
  const listed = await page.$$eval("#list li", (els) => els.map((e) => e.dataset.code));
  if (numbers !== want.length || listed.length !== want.length) {
    fail("run " + other.id + ": " + numbers + " numbers and " + listed.length + " listed, the API has " + want.length);
  }
  if (want.some((f) => f.properties.run_id !== other.id)) fail("/v1/runs/" + other.id + "/hotspots holds another run");
  const status = await page.$eval("#status", (e) => e.textContent);
  if (!status.includes("Run " + other.id)) fail("the status does not name run " + other.id + ": " + status);
  await page.select("#run", String(served.id));
  await page.waitForFunction((id) => window.hotrefRun === id, { timeout: 60000 }, served.id);
  const back = await page.$$eval(".hotspot-number", (els) => els.length);
  if (back !== hotspots) fail("back on run " + served.id + ": " + back + " numbers, the API has " + hotspots);
  return other.id + " (" + want.length + " hotspots)";
}

// The caseworker's referral form: a good referral is created, a bad value gets the API's words.
async function checkReferralForm(browser, origin, shot) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  watch(page, origin);
  await page.goto(url + "/map#token=" + encodeURIComponent(caseworker), { waitUntil: "load" });
  await page.waitForSelector("#referral:not([hidden])", { timeout: 90000 });
  const fill = async (values) => {
    await page.evaluate((v) => {
      const form = document.getElementById("referral-form");
      for (const [name, value] of Object.entries(v)) form.elements.namedItem(name).value = value;
    }, values);
  };
  const reference = "IJ-WEB-" + Date.now();
  await fill({ reference, person_id: "PNC-WEB-" + Date.now(), created_at: "2025-12-02T10:30", incident_at: "2025-12-01T21:15", offence: "asb",
               asb_qualifier: "nuisance", easting: "435170", northing: "335720", disposal: "community-resolution",
               age_band: "adult", first_time_entrant: "true", provider: "IJ Provider" });
  await page.click("#referral-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("referral-result").textContent !== "", { timeout: 20000 });
  const ok = await page.$eval("#referral-result", (e) => e.className + ": " + e.textContent);
  if (!ok.startsWith("ok:") || !ok.includes(reference)) fail("the form did not create " + reference + ": " + ok);
  const listed = (await fromApi("/v1/referrals?limit=100000", caseworker)).referrals || [];
  if (!listed.some((r) => r.reference === reference)) fail("GET /v1/referrals does not hold " + reference);
  // A position outside the British National Grid: refused by the API, its message shown, the field marked.
  await fill({ reference: reference + "-B", person_id: "PNC-WEB-B", created_at: "2025-12-02T10:30", incident_at: "", easting: "9999999",
               northing: "335720" });
  await page.evaluate(() => { document.getElementById("referral-result").textContent = ""; });
  await page.click("#referral-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("referral-result").textContent !== "", { timeout: 20000 });
  const bad = await page.$eval("#referral-result", (e) => e.className + ": " + e.textContent);
  if (!bad.startsWith("error:") || !bad.includes("easting: not a British National Grid position")) {
    fail("the form does not show the API's error naming easting: " + bad);
  }
  const marked = await page.$eval("#referral-form [name=easting]", (e) => e.classList.contains("invalid"));
  if (!marked) fail("the easting field is not marked after the API named it");
  const again = (await fromApi("/v1/referrals?limit=100000", caseworker)).referrals || [];
  if (again.some((r) => r.reference === reference + "-B")) fail("the refused referral was stored");
  await page.screenshot({ path: shot, fullPage: false });
  await page.close();
  return reference + "; refused: " + bad;
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
    if (!(await page.$eval("#referral", (e) => e.hidden))) fail("a patrol planner is shown the referral form");
    const switched = await checkRuns(page, hotspots);
    await checkBulletin(browser, page);
    const referral = await checkReferralForm(browser, new URL(url).origin, png.replace(/\.png$/, "_referral.png"));
    console.log("rendered " + rendered + " hotspot features; switched to run " + switched + "; referral " + referral +
                "; card:\n" + card);
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
