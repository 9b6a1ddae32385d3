// page-driver: a headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// that a test steers one JSON command per stdin line; it answers one JSON line per command on
// stdout: {"ok":true,...} or {"ok":false,"error":"..."}. Used by tests/e2e/62-browser-page.py
// to look at ssed's built-in page the way a user does. Runs on Node 18 (Debian 12) and later.
//
//   node page-driver.mjs [--chromium PATH]
//
// Commands ({"cmd": NAME, ...}):
//   open {url}              load the page (a new tab; the previous one is closed)
//   view                    what the page shows: {state, stateText, lastId, url, count,
//                           pauseText, rows: [{time, kind, type, id, data, json, hidden, elements}],
//                           topics: [{topic, checked}], topicsText, pageErrors}
//   click {selector}        click an element
//   fill {selector, value}  type into an input (fires its input event)
//   screenshot {path}       save a PNG of the viewport
// The browser closes and the process exits when stdin ends.
import {chromium} from 'playwright-core'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

let executablePath = '/usr/bin/chromium'
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--chromium' && i + 1 < args.length) executablePath = args[++i]
  else {
    process.stderr.write(`page-driver: error: unknown argument ${args[i]}\n`)
    process.exit(64)
  }
}

// A fresh profile, and no background traffic: the machine's network is closed, and a browser
// that keeps dialling out (updates, sync, QUIC) stalls or logs refusals.
const profile = mkdtempSync(join(tmpdir(), 'ssekit-chromium-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: {width: 1100, height: 640},
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
let page = null
const pageErrors = []  // uncaught exceptions in the page (a refused fetch is no error of the page)

function view() {
  // Runs in the page: reads the DOM, as text a user would see.
  const $ = (id) => document.getElementById(id)
  return {
    state: $('state').dataset.state,
    stateText: $('state').textContent,
    lastId: $('lastid').textContent,
    url: location.pathname + location.search,
    count: $('count').textContent,
    pauseText: $('pause').textContent,
    rows: [...document.querySelectorAll('#log .ev')].map((r) => ({
      time: r.querySelector('.time').textContent,
      kind: r.classList.contains('sys') ? 'sys' : r.classList.contains('gap') ? 'gap' : 'event',
      type: r.querySelector('.type').textContent,
      id: r.querySelector('.id') ? r.querySelector('.id').textContent.replace(/^id /, '') : '',
      data: r.querySelector('.data').textContent,
      json: r.classList.contains('json'),
      hidden: r.hidden,
      elements: r.querySelector('.data').children.length,
    })),
    topics: [...document.querySelectorAll('#topiclist input')].map((b) => ({topic: b.value, checked: b.checked})),
    topicsText: $('topiclist').textContent,
  }
}

const commands = {
  async open({url}) {
    if (page) await page.close()
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    await page.goto(url)
    return {}
  },
  async view() {
    return Object.assign(await page.evaluate(view), {pageErrors})
  },
  async click({selector}) {
    await page.click(selector, {timeout: 10000})
    return {}
  },
  async fill({selector, value}) {
    await page.fill(selector, value, {timeout: 10000})
    return {}
  },
  async screenshot({path}) {
    await page.screenshot({path})
    return {path}
  },
}

const lines = createInterface({input: process.stdin})
for await (const line of lines) {
  if (!line.trim()) continue
  let reply
  try {
    const req = JSON.parse(line)
    const fn = commands[req.cmd]
    if (!fn) throw new Error(`unknown command ${req.cmd}`)
    reply = Object.assign({ok: true}, await fn(req))
  } catch (e) {
    reply = {ok: false, error: String(e && e.message || e)}
  }
  process.stdout.write(JSON.stringify(reply) + '\n')
}
await context.close()
rmSync(profile, {recursive: true, force: true})
