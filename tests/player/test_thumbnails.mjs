// Player suite, images (issue 12 item 5): a sample encoded with --poster --thumbnails, then
// in headless Chromium Shaka Player loads the HLS master, finds the image stream it lists
// (EXT-X-IMAGE-STREAM-INF), adds our WebVTT thumbnail track (player.addThumbnailsTrack),
// and is asked for the thumbnail at times across the video through both: each answer must
// be the cue our track has for that time (sheet, x, y, w, h, start, duration), every sheet
// must load as an image of the size ffprobe reports, and the track's cues must cover the
// whole video. The poster must load as an image too. hls.js must play the master that
// lists the image stream.
//
//   node test_thumbnails.mjs SAMPLE [--interval S] [--dash]
//
// --dash: --format cmaf, and Shaka loads the MPD instead: its image AdaptationSet
// (thumbnail_tile) is the second image track, asked like the HLS one; dash.js plays the
// MPD to the end and its provideThumbnail(t) must give the same tiles.
//
// Env: MPEGFLOW (the CLI), MEDIA_DIR, CHROMIUM (default /usr/bin/chromium).
// Exit 0 pass, 1 fail, 77 skip (no Chromium or the npm packages are missing).
import fs from 'node:fs';
import path from 'node:path';
import { Session, check, encode, ffprobe, finish, requireChromium, requireModules, tempDir, withTimeout } from './harness.mjs';

const args = process.argv.slice(2);
const sample = args[0];
const opt = (name, dflt) => { const i = args.indexOf(name); return i > 0 ? args[i + 1] : dflt; };
const interval = Number(opt('--interval', '2'));
const dash = args.includes('--dash');   // --format cmaf: Shaka loads the MPD, its image set is the second track

if (!sample || !process.env.MPEGFLOW || !process.env.MEDIA_DIR) {
  console.error('usage: MPEGFLOW=... MEDIA_DIR=... node test_thumbnails.mjs SAMPLE [--interval S]');
  process.exit(2);
}
const src = path.join(process.env.MEDIA_DIR, sample);
if (!fs.existsSync(src)) { console.log(`SKIP: ${src} missing`); process.exit(77); }
requireModules(['puppeteer-core', 'shaka-player', ...(dash ? ['dashjs'] : [])]);
requireChromium();

// --- encode ---------------------------------------------------------------------
const tmp = tempDir('mf-thumbs-');
const out = path.join(tmp, 'out');
encode(['encode', src, '-o', out, '--format', dash ? 'cmaf' : 'both', '--ladder', '240',
        '--preset', 'ultrafast', '--poster', '--thumbnails', String(interval)]);
const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
const vttPath = path.join(out, result.images.thumbnails.path);

// Our track, read independently of the player: cue i = [start, end) -> sheet#xywh.
const stamp = (s) => { const [h, m, x] = s.split(':'); return Number(h) * 3600 + Number(m) * 60 + Number(x); };
const cues = [...fs.readFileSync(vttPath, 'utf8').matchAll(/(\S+) --> (\S+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)\n/g)]
  .map((m) => ({ start: stamp(m[1]), end: stamp(m[2]), uri: m[3], x: +m[4], y: +m[5], w: +m[6], h: +m[7] }));
const mp4 = path.join(out, '240p.mp4');
const mpdText = dash ? fs.readFileSync(path.join(out, 'hls/manifest.mpd'), 'utf8') : '';
const duration = dash ? Number(/mediaPresentationDuration="PT([\d.]+)S"/.exec(mpdText)[1])
  : Number(ffprobe(['-show_streams', '-select_streams', 'v:0', mp4]).streams[0].duration);
if (dash) {
  const set = /<AdaptationSet id="\d+" contentType="image"[\s\S]*?<\/AdaptationSet>/.exec(mpdText);
  const t = result.images.thumbnails;
  check('mpd-image-set', set && set[0].includes(`value="${t.columns}x${t.rows}"`) && set[0].includes('sprite-$Number$.jpg'),
        set ? set[0].replace(/\s+/g, ' ') : 'no image AdaptationSet in the MPD');
}
check('cues-cover', cues.length && cues[0].start === 0 && cues.every((c, i) => i === 0 || c.start === cues[i - 1].end)
      && Math.abs(cues[cues.length - 1].end - duration) < 0.05,
      `${cues.length} cues from ${cues[0]?.start} to ${cues[cues.length - 1]?.end}, video ${duration.toFixed(3)} s, no gap`);
const sheetSize = {};
for (const s of result.images.thumbnails.sprites) {
  const st = ffprobe(['-show_streams', path.join(out, s.path)]).streams[0];
  sheetSize[path.basename(s.path)] = [st.width, st.height];
}
// Times to ask for: the start, the middle and just before the end of every cue.
const times = cues.flatMap((c) => [c.start, (c.start + c.end) / 2, c.end - 0.01]);

// --- the player ---------------------------------------------------------------------
const session = new Session(tmp);

// In the page: load the master, add the track, ask for each time, load the images.
async function thumbnails(master, vtt, poster, times) {
  const r = { errors: [], answers: [], images: {} };
  shaka.polyfill.installAll();
  const p = new shaka.Player();
  await p.attach(document.getElementById('v'));
  p.addEventListener('error', (e) => r.errors.push(`shaka ${e.detail.code}`));
  try { await p.load(master); } catch (e) { r.errors.push(`load ${e.code}`); return r; }
  let track;
  try { track = await p.addThumbnailsTrack(vtt, 'text/vtt'); } catch (e) { r.errors.push(`addThumbnailsTrack ${e.code}`); return r; }
  r.track = { id: track.id, mimeType: track.mimeType };
  r.duration = document.getElementById('v').duration;
  r.imageTracks = p.getImageTracks().map((t) => t.id);
  const ask = async (id) => {
    const answers = [];
    for (const t of times) {
      const th = await p.getThumbnails(id, t);
      answers.push(th && { t, start: th.startTime, duration: th.duration, x: th.positionX, y: th.positionY,
                           w: th.width, h: th.height, uri: th.uris[0] });   // VTT: the sheet's URL with its #xywh
    }
    return answers;
  };
  r.answers = await ask(track.id);
  r.hlsTrack = r.imageTracks.find((id) => id !== track.id);
  if (r.hlsTrack !== undefined) r.hlsAnswers = await ask(r.hlsTrack);
  const all = await p.getAllThumbnails(track.id);
  r.all = all ? all.length : null;
  for (const u of new Set([poster, ...r.answers.filter(Boolean).map((a) => a.uri.split('#')[0])])) {
    const img = new Image();
    img.src = u;
    try { await img.decode(); r.images[u] = [img.naturalWidth, img.naturalHeight]; } catch (e) { r.errors.push(`image ${u}: ${e}`); }
  }
  await p.destroy();
  return r;
}

async function playHlsJs(url) {
  const video = document.getElementById('v');
  const r = { errors: [], ended: false, levels: 0 };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal || d.type !== 'mediaError') r.errors.push(`${d.type}/${d.details}`); });
  hls.attachMedia(video);
  hls.loadSource(url);
  for (const t = Date.now(); Date.now() - t < 10000 && !(hls.levels && hls.levels.length) && !r.errors.length; ) await sleep(20);
  r.levels = hls.levels ? hls.levels.length : 0;
  video.playbackRate = 4;
  await video.play().catch((e) => r.errors.push(`play ${e.name}`));
  for (const t = Date.now(); Date.now() - t < 30000 && !video.ended && !r.errors.length; ) await sleep(50);
  r.ended = video.ended;
  hls.destroy();
  return r;
}

// dash.js on the MPD with its image set: plays to the end, and provideThumbnail(t) gives our tile.
async function dashJs(url, times) {
  const video = document.getElementById('v');
  const r = { errors: [], ended: false, answers: [] };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const until = async (cond, ms) => { for (const t = Date.now(); Date.now() - t < ms; await sleep(20)) if (cond()) return true; return cond(); };
  const dash = dashjs.MediaPlayer().create();
  dash.on(dashjs.MediaPlayer.events.ERROR, (e) => r.errors.push(`dash.js ${JSON.stringify(e.error && (e.error.code || e.error.message) || e.error)}`));
  dash.initialize(video, url, false);
  await until(() => dash.isReady() && video.readyState >= 1, 15000);
  for (const t of times)
    r.answers.push(await new Promise((ok) => { dash.provideThumbnail(t, (th) => ok(th && { t, url: th.url, x: th.x, y: th.y, w: th.width, h: th.height })); setTimeout(() => ok(null), 2000); }));
  video.playbackRate = 4;
  await video.play().catch((e) => r.errors.push(`play ${e.name}`));
  r.ended = await until(() => video.ended, 30000);
  dash.destroy();
  return r;
}

const code = await session.run(async () => {
  const base = await session.serve(out);
  await session.launch();
  const page = await session.page('/shaka.js');
  const vttUrl = `${base}/out/${result.images.thumbnails.path}`;
  const posterUrl = `${base}/out/${result.images.poster.path}`;
  const r = await withTimeout(page.evaluate(thumbnails, `${base}/out/hls/${dash ? 'manifest.mpd' : 'master.m3u8'}`, vttUrl, posterUrl, times), 60000, 'shaka page');
  check('shaka-track', r.track && !r.errors.length && r.imageTracks.includes(r.track.id) && r.imageTracks.length === 2,
        `track ${JSON.stringify(r.track)}, image tracks ${JSON.stringify(r.imageTracks)}, errors ${JSON.stringify(r.errors)}`);
  check('shaka-all', r.all === cues.length, `getAllThumbnails: ${r.all}, the track has ${cues.length} cues`);
  // Through the VTT the URI carries the tile's #xywh; through the HLS image playlist it is the sheet.
  for (const [via, answers, fragment] of [['vtt', r.answers, true], [dash ? 'dash' : 'hls', r.hlsAnswers || [], false]]) {
    let wrong = 0, beyond = 0;
    times.forEach((t, i) => {
      const a = answers[i];
      // Shaka ends HLS image segments at the presentation's end (the shortest track's, audio
      // here): a time past it is not seekable, so not asked of that path.
      if (!fragment && t >= r.duration) { beyond++; return; }
      const c = cues.find((x, k) => t >= x.start && (t < x.end || k === cues.length - 1));
      const uri = new URL(c.uri, vttUrl).href + (fragment ? `#xywh=${c.x},${c.y},${c.w},${c.h}` : '');
      const ok = a && c && a.uri === uri && a.x === c.x && a.y === c.y && a.w === c.w && a.h === c.h
        && Math.abs(a.start - c.start) < 0.002 && (Math.abs(a.start + a.duration - c.end) < 0.002 || !fragment);
      if (!ok && wrong++ < 5) check(`shaka-${via}-thumbnail`, false, `t=${t.toFixed(3)}: Shaka ${JSON.stringify(a)}, our cue ${JSON.stringify(c)}`);
    });
    check(`shaka-${via}-thumbnails`, wrong === 0 && times.length - beyond > 0.9 * times.length,
          `${times.length - beyond - wrong}/${times.length - beyond} times answered with our cue's tile` +
          (beyond ? ` (${beyond} after the presentation's end at ${r.duration.toFixed(3)} s not asked)` : ''));
  }
  for (const [u, wh] of Object.entries(r.images)) {
    const name = path.basename(new URL(u).pathname);
    const want = name === 'poster.jpg' ? [result.images.poster.width, result.images.poster.height] : sheetSize[name];
    check('image-loads', want && wh[0] === want[0] && wh[1] === want[1], `${name}: ${wh} in the page, ${want} by ffprobe`);
  }
  const page2 = await session.page('/hls.js');
  const h = await withTimeout(page2.evaluate(playHlsJs, `${base}/out/hls/master.m3u8`), 60000, 'hls.js page');
  check('hlsjs-plays', h.ended && !h.errors.length && h.levels === 1, `hls.js with the image stream listed: ${JSON.stringify(h)}`);
  if (dash) {
    const page3 = await session.page('/dash.js');
    const d = await withTimeout(page3.evaluate(dashJs, `${base}/out/hls/manifest.mpd`, times), 90000, 'dash.js page');
    check('dashjs-plays', d.ended && !d.errors.length, `dash.js with the image set: ended ${d.ended}, errors ${JSON.stringify(d.errors)}`);
    let wrong = 0;
    times.forEach((t, i) => {
      const a = d.answers[i];
      const c = cues.find((x, k) => t >= x.start && (t < x.end || k === cues.length - 1));
      const ok = a && a.url === new URL(c.uri, vttUrl).href && a.x === c.x && a.y === c.y && a.w === c.w && a.h === c.h;
      if (!ok && wrong++ < 5) check('dashjs-thumbnail', false, `t=${t.toFixed(3)}: dash.js ${JSON.stringify(a)}, our cue ${JSON.stringify(c)}`);
    });
    check('dashjs-thumbnails', wrong === 0, `provideThumbnail: ${times.length - wrong}/${times.length} times with our cue's tile`);
  }
  check('images-seen', Object.keys(r.images).length === 1 + Object.keys(sheetSize).length,
        `${Object.keys(r.images).length} images loaded, ${1 + Object.keys(sheetSize).length} written`);
});
finish(code);
