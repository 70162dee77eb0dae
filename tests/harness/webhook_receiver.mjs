// webhook_receiver.mjs PORT_FILE LOG_FILE SECRETS_FILE: a webhook endpoint for the tests, on
// 127.0.0.1 (a free port, written to PORT_FILE). Every delivery is checked with the real
// `standardwebhooks` package against each secret in SECRETS_FILE (one a line, read per request,
// so a test can add the rotated one) and logged as one JSON line: path, the three headers, the
// body, which secrets verified it, and when it arrived (ms since the epoch).
// Paths: /ok -> 204; /flaky -> 500 for the first two arrivals of each webhook-id, then 200;
// /fail -> 500; /slow -> 200 after 3 s; /redirect?to=URL -> 302 to URL.
import http from 'node:http';
import fs from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../ui/package.json', import.meta.url));
const { Webhook } = require('standardwebhooks');

const [portFile, logFile, secretsFile] = process.argv.slice(2);
const seen = new Map();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const arrived = Date.now();
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = {
      'webhook-id': req.headers['webhook-id'] ?? '',
      'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
      'webhook-signature': req.headers['webhook-signature'] ?? '',
    };
    const secrets = fs.readFileSync(secretsFile, 'utf8').split('\n').filter(Boolean);
    const verified = [];
    secrets.forEach((s, i) => {
      try { new Webhook(s).verify(body, headers); verified.push(i); } catch { /* not this one */ }
    });
    const url = new URL(req.url, 'http://x');
    fs.appendFileSync(logFile, JSON.stringify({ path: url.pathname, headers, body, verified, arrived }) + '\n');
    const id = headers['webhook-id'];
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (url.pathname === '/flaky' && seen.get(id) <= 2) { res.writeHead(500); res.end('no'); return; }
    if (url.pathname === '/fail') { res.writeHead(500); res.end('no'); return; }
    if (url.pathname === '/redirect') { res.writeHead(302, { Location: url.searchParams.get('to') }); res.end(); return; }
    if (url.pathname === '/slow') { setTimeout(() => { res.writeHead(200); res.end('ok'); }, 3000); return; }
    res.writeHead(204); res.end();
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
process.on('SIGTERM', () => process.exit(0));
