// The player tests' shared harness: skip checks, the check table, spawning tools and
// the mpegflow encode, a loopback static HTTP server for the output and the players'
// scripts, Debian's Chromium through puppeteer-core, and the cleanup. Each test
// holds only what it checks (its in-page functions and its assertions).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const mods = path.join(here, 'node_modules');
export const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

// Exit 77 (skip) unless each npm package is installed and, where asked, Chromium is there.
export function requireModules(names) {
  for (const m of names) {
    if (!fs.existsSync(path.join(mods, m))) { console.log(`SKIP: npm package ${m} missing (scripts/install-deps.sh)`); process.exit(77); }
  }
}
export function requireChromium() {
  if (!fs.existsSync(chromium)) { console.log(`SKIP: no Chromium at ${chromium}`); process.exit(77); }
}

// The check table: each check printed, a name's result the AND of its checks.
export const failures = [];
export const results = {};
const failedNames = [];
export function check(name, ok, detail) {
  results[name] = (results[name] ?? true) && !!ok;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  if (!ok) { failures.push(`${name}: ${detail}`); failedNames.push(name); }
}

// spawn: the result as is; run: stdout, throwing on a non-zero exit.
export const spawn = (cmd, argv) => spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
export const run = (cmd, argv) => {
  const r = spawn(cmd, argv);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
};
export const ffprobe = (argv) => JSON.parse(run('ffprobe', ['-v', 'error', '-of', 'json', ...argv]));

export const tempDir = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

// mpegflow ARGV; a failed encode ends the test (exit 1) with its stderr.
export function encode(argv) {
  const enc = spawnSync(process.env.MPEGFLOW, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (enc.status !== 0) { console.error(`encode failed (${enc.status}): ${enc.stderr}`); process.exit(1); }
  return enc;
}

export const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(`${what}: no answer in ${ms / 1000} s`)), ms).unref())]);

const scripts = { '/hls.js': 'hls.js/dist/hls.min.js',
                  '/shaka.js': 'shaka-player/dist/shaka-player.compiled.js',
                  '/dash.js': 'dashjs/dist/modern/umd/dash.all.min.js' };
const types = { '.m3u8': 'application/vnd.apple.mpegurl', '.mpd': 'application/dash+xml', '.mp4': 'video/mp4',
                '.m4s': 'video/iso.segment', '.vtt': 'text/vtt', '.jpg': 'image/jpeg', '.js': 'text/javascript',
                '.html': 'text/html' };

// One test's browser session: the server, Chromium and the temporary folder, all
// closed by close() (run() calls it whatever happens).
export class Session {
  constructor(tmp) { this.tmp = tmp; this.server = null; this.browser = null; this.base = null; this.ranges = 0; }

  // Serve '/' (a page with <video id=v>), the players' scripts and OUT under /out/.
  // ranges: answer Range requests (206), with content-length and CORS, counted in this.ranges.
  // muted: the <video> is muted; charset: the page says it is UTF-8.
  async serve(out, { ranges = false, muted = true, charset = false } = {}) {
    const page = `<!doctype html>${charset ? '<meta charset=utf-8>' : ''}<video id=v${muted ? ' muted' : ''} playsinline></video>`;
    this.server = http.createServer((req, res) => {
      const url = decodeURIComponent(req.url.split('?')[0]);
      if (url === '/') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page); }
      const file = scripts[url] ? path.join(mods, scripts[url])
        : (url.startsWith('/out/') && !url.includes('..') ? path.join(out, url.slice(5)) : null);
      if (!file || !fs.existsSync(file)) { res.writeHead(404); return res.end(); }
      const type = types[path.extname(file)] || 'application/octet-stream';
      if (!ranges) {
        res.writeHead(200, { 'content-type': type });
        return fs.createReadStream(file).pipe(res);
      }
      const size = fs.statSync(file).size;
      const r = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
      if (r) {
        this.ranges++;
        const a = +r[1], b = r[2] ? Math.min(+r[2], size - 1) : size - 1;
        res.writeHead(206, { 'content-type': type, 'content-range': `bytes ${a}-${b}/${size}`, 'content-length': b - a + 1, 'access-control-allow-origin': '*' });
        return fs.createReadStream(file, { start: a, end: b }).pipe(res);
      }
      res.writeHead(200, { 'content-type': type, 'content-length': size, 'access-control-allow-origin': '*' });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    return this.base;
  }

  // Debian's Chromium, headless, no crash reporter, no /dev/shm, its profile in tmp.
  async launch({ autoplay = false } = {}) {
    const { default: puppeteer } = await import('puppeteer-core');
    this.browser = await puppeteer.launch({
      executablePath: chromium, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--disable-crash-reporter', '--disable-breakpad', '--disable-dev-shm-usage',
             ...(autoplay ? ['--autoplay-policy=no-user-gesture-required'] : []), `--user-data-dir=${path.join(this.tmp, 'chromium')}`],
    });
    return this.browser;
  }

  // A new page on '/', with the player script (e.g. '/hls.js') added when given.
  async page(script) {
    const page = await this.browser.newPage();
    await page.goto(this.base + '/');
    if (script) await page.addScriptTag({ url: this.base + script });
    return page;
  }

  async close() {
    if (this.browser) {
      // A browser that crashed may never answer close(): give it 5 s, then kill it by PID.
      const proc = this.browser.process();
      await Promise.race([this.browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    if (this.server) this.server.close();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  // body(); an exception is printed and makes the exit code 1; then close().
  async run(body) {
    let code = 0;
    try {
      await body();
    } catch (e) {
      console.error(`error: ${e.stack || e}`);
      code = 1;
    } finally {
      await this.close();
    }
    return code;
  }
}

// The end of a test: the RESULT row (when named), the failed checks, the exit code.
// names: list the failed checks' names; pass: print PASS when all passed.
export function finish(code, { result, names = false, pass = false } = {}) {
  if (result) console.log(`RESULT ${result} ` + Object.entries(results).map(([k, v]) => `${k}=${v ? 'pass' : 'FAIL'}`).join(' '));
  if (failures.length) { console.log(`${failures.length} failed checks${names ? ': ' + failedNames.join(' ') : ''}`); code = 1; }
  else if (pass && !code) console.log('PASS');
  process.exit(code);
}
