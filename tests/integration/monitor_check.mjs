// Drives headless Chromium (Debian's, through playwright-core) over the
// monitor page.  Usage: node monitor_check.mjs <url of /mon/> <out dir>
// Environment: PLAYWRIGHT_DIR (folder holding node_modules/playwright-core),
// CHROMIUM (executable).  Prints one JSON line: {ok, failures, requests,
// screenshots}; exit code 0 only when every check passed.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR, "/"));
const { chromium } = require("playwright-core");

const [url, out] = process.argv.slice(2);
const failures = [], requests = [], shots = [], problems = [];
const check = (cond, what) => { if (!cond) failures.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-quic", "--disable-dev-shm-usage"] });
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 },
                                         colorScheme: "light" });
  ctx.on("request", (r) => requests.push(r.url()));
  const page = await ctx.newPage();
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" || /Content.Security.Policy/i.test(m.text()))
      problems.push("console " + m.type() + ": " + m.text());
  });
  page.setDefaultTimeout(20000);
  const shot = async (name, p = page) => {
    const f = path.join(out, name);
    await p.screenshot({ path: f, fullPage: true });
    shots.push(f);
  };
  const text = async (sel) => (await page.locator(sel).allInnerTexts()).join("\n");

  // Status badges and the network name.
  await page.goto(url);
  await page.waitForFunction(() => location.hash === "#/scheduler");
  await page.waitForSelector('#badges .badge.ok[data-key="dms"]');
  for (const k of ["api", "nameserver", "dms", "scheduler"]) {
    check(await page.locator(`#badges .badge.ok[data-key="${k}"]`).count() === 1, "badge ok: " + k);
  }
  check((await page.textContent("#net-name")) === "testvpn", "network name");

  // Scheduler: counters, two 48-hour charts, last executions.
  await page.waitForSelector("table.execs tbody tr");
  const sched = await text("#sched-body");
  for (const s of ["mupif.scheduler", "57", "workflow_13", "6756f0c2a1b2c3d4e5f60718",
                   "Finished", "Running", "3 %"]) check(sched.includes(s), "scheduler shows " + s);
  // Two schedulers: the node's own (through the broker, first) and the
  // fake one registered in the nameserver; two charts each.
  check(await page.locator("#sched-body figure.chart svg").count() === 4, "two charts each");
  check(await page.locator("#sched-body figure.chart").first().locator("g.slot").count() === 48,
        "48 hourly slots");
  check(await page.locator("#sched-body rect.bar.s-pooled").count() === 96, "pooled bars");
  check(await page.locator("table.execs tbody tr").count() === 2, "two executions");
  await shot("scheduler.png");

  // Model servers, with one expanded.
  await page.click('nav.tabs a[data-route="jobmans"]');
  await page.waitForSelector("table.jobmans tbody tr");
  let jm = await text("table.jobmans");
  check(jm.includes("CTU-TM-demo") && jm.includes("Mupif.JobManager.ModelServer"), "jobman row");
  check(jm.includes("25 %"), "jobman load 1/4");
  check(jm.includes("1 / 4") && jm.includes("23"), "jobman counts");
  await page.locator("table.jobmans button.expander:not([disabled])").first().click();
  await page.waitForSelector("tr.detail .job");
  const det = await text("tr.detail");
  check(det.includes("23@CTU-TM-demo") && det.includes("mupif@central"), "job details");
  await shot("jobmans.png");

  // Nameserver entries; markup in a registration stays text.
  await page.click('nav.tabs a[data-route="ns"]');
  await page.waitForSelector("table.ns tbody tr");
  await page.waitForFunction(() => document.querySelector("table.ns").innerText.includes("load 25"));
  const ns = await text("table.ns");
  for (const s of ["CTU-TM-demo", "mupif.scheduler", "model server", "scheduler",
                   "Accuracy_Medium", "<img id=pwn src=x>", "load 25 %"])
    check(ns.includes(s), "ns shows " + s);
  check(await page.locator("#pwn").count() === 0, "markup not interpreted");
  check((await page.textContent("#ns-loc")).includes("Nameserver"), "ns location");
  await page.fill("#ns-filter", "scheduler");
  const filtered = await text("table.ns tbody");
  check(filtered.includes("mupif.scheduler") && !filtered.includes("CTU-TM-demo"), "ns filter");
  await page.fill("#ns-filter", "");
  await shot("nameserver.png");

  // VPN peers.
  await page.click('nav.tabs a[data-route="vpn"]');
  await page.waitForSelector("table.vpn tbody tr");
  const vpn = await text("#vpn-body");
  for (const s of ["Interface testvpn", "172.24.1.10/32", "2.00 MiB", "1.00 MiB", "hidden"])
    check(vpn.includes(s), "vpn shows " + s);
  check(!vpn.includes("172.24.1.11"), "inactive peer left out");
  await shot("vpn.png");

  // A phone-sized window, dark theme.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
                                           colorScheme: "dark", deviceScaleFactor: 2 });
  phone.on("request", (r) => requests.push(r.url()));
  const p2 = await phone.newPage();
  p2.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  await p2.goto(url + "#/scheduler");
  await p2.waitForSelector("table.execs tbody tr", { timeout: 20000 });
  const sw = await p2.evaluate(() => document.documentElement.scrollWidth);
  check(sw <= 390, "no horizontal page scroll on a phone (" + sw + ")");
  await shot("scheduler-phone-dark.png", p2);
  await phone.close();
  await ctx.close();
} catch (e) {
  failures.push("exception: " + (e && e.stack || e));
} finally {
  await browser.close();
}
for (const p of problems) failures.push(p);
for (const r of requests) {
  const u = new URL(r);
  if (!(u.protocol === "data:" || u.hostname === "127.0.0.1")) failures.push("request off localhost: " + r);
}
console.log(JSON.stringify({ ok: failures.length === 0, failures, requests: [...new Set(requests)],
                             screenshots: shots }));
process.exit(failures.length ? 1 : 0);
