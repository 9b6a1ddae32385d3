// es-tail: what the npm `eventsource` client (a WHATWG EventSource for Node) sees on a stream,
// printed like `sse-tail --format json`: one {"event","data","id"} object per line, where id is
// the event's lastEventId. Used by tests/e2e/60-interop-eventsource.py to check that sse-tail
// and ssed agree with a real EventSource. Runs on Node 18 (Debian 12) and later.
//
//   node es-tail.mjs [--count N] [--timeout SECONDS] [--event TYPE]... URL
//
// Listens to `message` and to each --event TYPE with addEventListener, as a page would.
// Exits 0 after N events, 1 on timeout, 64 on bad arguments, 76 when the client gives up
// (the spec's "fail the connection": a status other than 200, or not text/event-stream).
// Reconnections are the client's own business; each `error` event is logged to stderr.
import {EventSource} from 'eventsource'

function usage(message) {
  process.stderr.write(`es-tail: error: ${message}\n`)
  process.exit(64)
}

let count = Infinity
let timeout = 60
const types = new Set(['message'])
let url = null
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const arg = args[i]
  const value = () => (i + 1 < args.length ? args[++i] : usage(`${arg} needs a value`))
  if (arg === '--count') count = Number(value())
  else if (arg === '--timeout') timeout = Number(value())
  else if (arg === '--event') types.add(value())
  else if (arg.startsWith('--')) usage(`unknown option ${arg}`)
  else if (url === null) url = arg
  else usage('one URL only')
}
if (url === null) usage('a URL is required')
if (!(count > 0) || !(timeout > 0)) usage('--count and --timeout must be positive')

const es = new EventSource(url)
let seen = 0

function finish(code) {
  es.close()
  // Exit only once stdout has taken every line (it may be a pipe).
  process.stdout.write('', () => process.exit(code))
}

const timer = setTimeout(() => {
  process.stderr.write(`es-tail: timed out after ${timeout} s with ${seen} of ${count} events\n`)
  finish(1)
}, timeout * 1000)

function onEvent(ev) {
  if (seen >= count) return
  seen++
  process.stdout.write(JSON.stringify({event: ev.type, data: ev.data, id: ev.lastEventId}) + '\n')
  if (seen >= count) {
    clearTimeout(timer)
    finish(0)
  }
}
for (const type of types) es.addEventListener(type, onEvent)

es.addEventListener('error', (ev) => {
  const detail = [ev.code, ev.message].filter((x) => x !== undefined && x !== '').join(' ')
  if (es.readyState === EventSource.CLOSED) {
    // The spec's "fail the connection": the client will not reconnect.
    process.stderr.write(`es-tail: error: connection failed: ${detail}\n`)
    clearTimeout(timer)
    finish(76)
  } else {
    process.stderr.write(`es-tail: reconnecting${detail ? `: ${detail}` : ''}\n`)
  }
})
