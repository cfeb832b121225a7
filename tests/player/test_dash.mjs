// Player suite, DASH and trick play (issue 12): encode one sample with
// mpegflow --format cmaf (HLS + DASH over one set of fMP4 segments), then
//  - the I-frame playlists parse (m3u8-parser), each entry is a byte range
//    that starts at a moof whose first sample is a sync sample, and FFmpeg
//    decodes that range (prefixed with the init segment) as one I picture;
//  - the MPD's SegmentTimeline equals the fragments' spans (within 1 ms);
//  - Shaka Player and dash.js play the MPD to the end with no errors, and
//    Shaka's trickPlay(4) runs without one; hls.js's I-frame player
//    (createIFramePlayer, hls.js >= 1.7) shows the I-frame at several times
//    from the byte ranges; all in headless Chromium over a loopback HTTP
//    server with Range support.
//
//   node test_dash.mjs SAMPLE [--ladder H,H]
//   node test_dash.mjs @subs      a clip made here (lavfi, cue i at i s in en and fr),
//                                 --format cmaf: the MPD's WebVTT sets (the sidecars),
//                                 listed by both players with their languages, and
//                                 Shaka's cues at i s
//
// Env: MPEGFLOW, MEDIA_DIR, CHROMIUM (default /usr/bin/chromium).
// Exit 0 pass, 1 fail, 77 skip (no Chromium or the npm packages are missing).
import fs from 'node:fs';
import path from 'node:path';
import { boxes, find, readInit, readSegment } from './mp4box.mjs';
import { Session, check, encode, requireChromium, requireModules, spawn as run, tempDir, withTimeout, finish } from './harness.mjs';

const args = process.argv.slice(2);
const sample = args[0];
const opt = (name, dflt) => { const i = args.indexOf(name); return i > 0 ? args[i + 1] : dflt; };
const ladder = opt('--ladder', '240,144');

if (!sample || !process.env.MPEGFLOW || !process.env.MEDIA_DIR) {
  console.error('usage: MPEGFLOW=... MEDIA_DIR=... node test_dash.mjs SAMPLE [--ladder H,H]');
  process.exit(2);
}
const subs = sample === '@subs';
let src = path.join(process.env.MEDIA_DIR, sample);
if (!subs && !fs.existsSync(src)) { console.log(`SKIP: ${src} missing`); process.exit(77); }
requireModules(['puppeteer-core', 'shaka-player', 'dashjs', 'hls.js', 'm3u8-parser']);
requireChromium();
const { Parser } = await import('m3u8-parser');

const parse = (file) => { const p = new Parser(); p.push(fs.readFileSync(file, 'utf8')); p.end(); return p.manifest; };

// --- encode -------------------------------------------------------------------
const tmp = tempDir('mf-dash-');
const out = path.join(tmp, 'out');
const N = 6;
if (subs) {
  const ts = (ms) => `00:00:${String(Math.floor(ms / 1000)).padStart(2, '0')},${String(ms % 1000).padStart(3, '0')}`;
  for (const lang of ['en', 'fr']) {
    let t = '';
    for (let i = 1; i <= N; i++) t += `${i}\n${ts(i * 1000)} --> ${ts(i * 1000 + 800)}\n${lang} cue ${i}\n\n`;
    fs.writeFileSync(path.join(tmp, `${lang}.srt`), t);
  }
  src = path.join(tmp, 'cues.mkv');
  const g = run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${N + 2}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${N + 2}`, '-i', path.join(tmp, 'en.srt'), '-i', path.join(tmp, 'fr.srt'),
    '-map', '0', '-map', '1', '-map', '2', '-map', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
    '-metadata:s:s:0', 'language=eng', '-metadata:s:s:1', 'language=fre', '-disposition:s:0', 'default', src]);
  if (g.status !== 0) { console.error(`ffmpeg: ${g.stderr}`); process.exit(1); }
}
encode(['encode', src, '-o', out, '--format', 'cmaf', '--ladder', ladder]);
const hlsDir = path.join(out, 'hls');
const mpdPath = path.join(hlsDir, 'manifest.mpd');
const master = parse(path.join(hlsDir, 'master.m3u8'));
const mpdText = fs.readFileSync(mpdPath, 'utf8');

// --- I-frame playlists ------------------------------------------------------------
const iframeLines = fs.readFileSync(path.join(hlsDir, 'master.m3u8'), 'utf8').split('\n').filter((l) => l.startsWith('#EXT-X-I-FRAME-STREAM-INF:'));
check('iframe-master', iframeLines.length === master.playlists.length,
      `${iframeLines.length} EXT-X-I-FRAME-STREAM-INF for ${master.playlists.length} variants`);
const keyCheck = (buf) => {   // the first sample of the first traf: flags from trun, tfhd or trex
  const traf = find(buf, ['moof', 'traf'])[0];
  if (!traf) return { ok: false, why: 'no moof/traf at the range start' };
  const trun = find(buf, ['trun'], traf.start, traf.end)[0];
  const fl = buf.readUInt32BE(trun.start) & 0xffffff;
  let q = trun.start + 8 + (fl & 1 ? 4 : 0);
  if (fl & 4) return { ok: !(buf.readUInt32BE(q) & 0x10000), why: 'first_sample_flags' };
  q += (fl & 4 ? 4 : 0);
  if (fl & 0x400) { q += (fl & 0x100 ? 4 : 0) + (fl & 0x200 ? 4 : 0); return { ok: !(buf.readUInt32BE(q) & 0x10000), why: 'sample_flags[0]' }; }
  return { ok: false, why: 'no sample flags in trun (defaults not checked here)' };
};
let iframeTotal = 0, iframeEntries = 0;
for (const line of iframeLines) {
  const uri = /URI="([^"]+)"/.exec(line)[1], res = /RESOLUTION=(\d+)x(\d+)/.exec(line);
  const file = path.join(hlsDir, uri), dir = path.dirname(file);
  const text = fs.readFileSync(file, 'utf8');
  const m = parse(file);
  check('iframe-tags', text.includes('#EXT-X-I-FRAMES-ONLY') && m.endList && m.segments.length > 0,
        `${uri}: I-FRAMES-ONLY, ENDLIST, ${m.segments.length} entries`);
  const media = parse(path.join(dir, 'index.m3u8'));
  iframeTotal = m.segments.reduce((a, x) => a + x.duration, 0);
  iframeEntries = m.segments.length;
  check('iframe-entries', m.segments.length === media.segments.length,
        `${uri}: ${m.segments.length} entries for ${media.segments.length} segments`);
  const init = fs.readFileSync(path.join(dir, m.segments[0].map.uri));
  let bad = 0, decoded = 0;
  m.segments.forEach((s, i) => {
    const seg = fs.readFileSync(path.join(dir, s.uri));
    const { offset, length } = s.byterange;
    const bytes = seg.subarray(offset, offset + length);
    const first = boxes(bytes)[0];
    const k = keyCheck(bytes);
    const extinf = media.segments[i] ? media.segments[i].duration : NaN;
    if (!first || first.type !== 'moof' || !k.ok || offset + length > seg.length || Math.abs(s.duration - extinf) > 1e-3) {
      bad++;
      check('iframe-keyframe', false, `${uri} entry ${i}: box ${first && first.type}, ${k.why} ok=${k.ok}, EXTINF ${s.duration} vs ${extinf}`);
    }
    // FFmpeg decodes the range as one picture, an I picture.
    const f = path.join(tmp, 'iframe.mp4');
    fs.writeFileSync(f, Buffer.concat([init, bytes]));
    const p = run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame,pict_type', '-of', 'json', f]);
    const frames = p.status === 0 ? JSON.parse(p.stdout).frames || [] : [];
    if (frames.length >= 1 && frames[0].key_frame === 1 && frames[0].pict_type === 'I') decoded++;
    else check('iframe-decodes', false, `${uri} entry ${i}: ffprobe frames ${JSON.stringify(frames.slice(0, 2))} ${p.stderr.slice(0, 200)}`);
  });
  check('iframe-keyframe', bad === 0, `${uri}: ${m.segments.length - bad}/${m.segments.length} ranges start at a moof with a sync first sample`);
  check('iframe-decodes', decoded === m.segments.length, `${uri}: ${decoded}/${m.segments.length} ranges decode to an I picture first (ffprobe, init + range)`);
  check('iframe-resolution', master.playlists.some((v) => v.attributes.RESOLUTION.width === +res[1] && v.attributes.RESOLUTION.height === +res[2]),
        `${uri}: RESOLUTION ${res[1]}x${res[2]}`);
}

// --- MPD timeline against the fragments ---------------------------------------------
// A light reading of our own MPD: each Representation's SegmentTemplate and S list.
const reps = [...mpdText.matchAll(/<Representation id="([^"]+)"[^>]*>([\s\S]*?)<\/Representation>/g)];
let timelines = 0;
for (const [, id, body] of reps) {
  const tpl = /<SegmentTemplate timescale="(\d+)" initialization="([^"]+)" media="([^"]+)" startNumber="(\d+)">/.exec(body);
  if (!tpl) continue;   // the trick-mode SegmentList (checked by the players)
  timelines++;
  const ts = +tpl[1];
  const spans = [];
  let t = 0;
  for (const s of body.matchAll(/<S( t="(\d+)")? d="(\d+)"( r="(\d+)")?\/>/g)) {
    if (s[2] !== undefined) t = +s[2];
    for (let k = 0; k <= (s[5] ? +s[5] : 0); k++) { spans.push({ t, d: +s[3] }); t += +s[3]; }
  }
  const segs = spans.map((_, i) => path.join(hlsDir, tpl[3].replace('$Number%05d$', String(+tpl[4] + i).padStart(5, '0'))));
  const missing = segs.filter((f) => !fs.existsSync(f)).length;
  const next = path.join(hlsDir, tpl[3].replace('$Number%05d$', String(+tpl[4] + spans.length).padStart(5, '0')));
  check('mpd-segments', !missing && !fs.existsSync(next), `${id}: ${spans.length} S entries, ${missing} files missing, one more exists: ${fs.existsSync(next)}`);
  const initTs = readInit(path.join(hlsDir, tpl[2]))[0].timescale;
  check('mpd-timescale', initTs === ts, `${id}: timescale ${ts}, init mdhd ${initTs}`);
  let worst = 0;
  const frag = segs.map((f) => { const x = readSegment(f); return { start: Math.min(...x.map((s) => s.pts)), end: Math.max(...x.map((s) => s.pts + s.duration)) }; });
  frag.forEach((f, i) => {
    const end = i + 1 < frag.length ? frag[i + 1].start : f.end;      // the EXTINF rule
    worst = Math.max(worst, Math.abs(spans[i].t - f.start) / ts, Math.abs(spans[i].d - (end - f.start)) / ts);
  });
  check('mpd-spans', worst <= 0.001, `${id}: worst S@t/S@d error against the fragments ${(worst * 1000).toFixed(3)} ms`);
  const playlist = parse(path.join(hlsDir, path.dirname(tpl[2]), 'index.m3u8'));
  const ext = Math.max(...playlist.segments.map((s, i) => Math.abs(s.duration - spans[i].d / ts)));
  check('mpd-extinf', playlist.segments.length === spans.length && ext <= 0.001, `${id}: worst |EXTINF - S@d| ${(ext * 1000).toFixed(3)} ms`);
}
check('mpd-representations', timelines === master.playlists.length + (master.mediaGroups?.AUDIO?.audio ? 1 : 0),
      `${timelines} SegmentTemplate Representations`);
// One set of files: nothing but playlists, init and segments under hls/.
const all = fs.readdirSync(hlsDir, { recursive: true }).filter((f) => fs.statSync(path.join(hlsDir, f)).isFile());
const media = all.filter((f) => /\.(mp4|m4s)$/.test(f)), vtt = all.filter((f) => /^subtitles\/.*seg_\d{5}\.vtt$/.test(f));
const manifests = all.length - media.length - vtt.length;
check('one-copy', all.every((f) => /(\.m3u8|\.mpd|init\.mp4|seg_\d{5}\.m4s)$/.test(f) || vtt.includes(f)),
      `${all.length} files under hls/: ${media.length} init/segments, ${vtt.length} WebVTT segments, ${manifests} manifests`);
console.log(`RESULT-FILES ${sample} files=${all.length} media=${media.length} vtt=${vtt.length} manifests=${manifests}`);

// --- players --------------------------------------------------------------------
const session = new Session(tmp);
async function players() {
  const base = await session.serve(out, { ranges: true });
  await session.launch({ autoplay: true });
  const heights = master.playlists.map((p) => p.attributes.RESOLUTION.height);
  const hasAudio = !!master.mediaGroups?.AUDIO?.audio;
  for (const player of ['shaka', 'dash.js']) {
    const page = await session.page(player === 'shaka' ? '/shaka.js' : '/dash.js');
    const r = await withTimeout(page.evaluate(playDash, player, base + '/out/hls/manifest.mpd'), 75000, `${player} page`);
    console.log(`${player}: ${JSON.stringify(r)}`);
    check(`${player}-plays`, r.ended && !r.errors.length, `${player}: ended ${r.ended} at ${r.currentTime} of ${r.duration}, errors ${JSON.stringify(r.errors)}`);
    check(`${player}-duration`, Math.abs(r.duration - r.mpdDuration) <= 0.05, `${player}: duration ${r.duration}, MPD ${r.mpdDuration}`);
    check(`${player}-buffered-0`, r.bufferedStart !== null && r.bufferedStart <= 0.001, `${player}: buffered from ${r.bufferedStart}`);
    check(`${player}-representations`, heights.every((h) => r.heights.includes(h)) && r.heights.length === heights.length,
          `${player}: video heights ${r.heights} (ladder ${heights})`);
    if (hasAudio) check(`${player}-audio`, r.audioBytes > 0, `${player}: ${r.audioBytes} audio bytes decoded`);
    if (subs) {
      check(`${player}-text`, JSON.stringify(r.textLangs) === '["en","fr"]', `${player}: text tracks ${JSON.stringify(r.textLangs)}`);
      if (player === 'shaka') {
        const starts = r.cues.map((c) => c.start);
        const ok = starts.length === N && starts.every((t, i) => Math.abs(t - (i + 1)) <= 0.1) && r.cues.every((c, i) => c.text === `en cue ${i + 1}`);
        check('shaka-cues', ok, `shaka: en cues ${JSON.stringify(r.cues)}`);
      }
    }
    if (player === 'shaka')
      check('shaka-trickplay', r.trickErrors && !r.trickErrors.length && r.trickTime > 1,
            `shaka: trickPlay(4) for 2 s reached ${r.trickTime}, errors ${JSON.stringify(r.trickErrors)}`);
    await page.close();
  }
  // hls.js's I-frame player on the master's EXT-X-I-FRAME-STREAM-INF variants.
  const before = session.ranges;
  const page = await session.page('/hls.js');
  const r = await withTimeout(page.evaluate(playIframes, base + '/out/hls/master.m3u8', iframeTotal), 60000, 'hls.js I-frames page');
  console.log(`hls.js I-frames: ${JSON.stringify(r)}`);
  check('hlsjs-iframes', r.variants === master.playlists.length && r.shown.length === r.times.length && r.shown.every((x) => x) && !r.errors.length,
        `hls.js: ${r.variants} I-frame variants, shown at ${r.times.filter((_, i) => r.shown[i])} of ${r.times}, errors ${JSON.stringify(r.errors)}`);
  const want = Math.min(r.times.length, iframeEntries);
  check('hlsjs-iframes-ranges', session.ranges - before >= want, `${session.ranges - before} range requests for ${r.times.length} I-frames (${iframeEntries} entries; ${r.retries} retried)`);
  await page.close();
  console.log(`info range requests served: ${session.ranges}`);
}

// In the page: load the MPD, play it to the end (2-4 s of playing), collect errors.
async function playDash(player, url) {
  const video = document.getElementById('v');
  const r = { errors: [], ended: false, bufferedStart: null, heights: [], audioBytes: 0 };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const until = async (cond, ms) => { for (const t = Date.now(); Date.now() - t < ms; await sleep(20)) if (cond()) return true; return cond(); };
  video.addEventListener('error', () => r.errors.push(`video ${video.error && video.error.code}`));
  let shk, dash;
  const text = await (await fetch(url)).text();
  const m = /mediaPresentationDuration="PT([\d.]+)S"/.exec(text);
  r.mpdDuration = m ? +m[1] : null;
  if (player === 'shaka') {
    shaka.polyfill.installAll();
    shk = new shaka.Player();
    await shk.attach(video);
    shk.addEventListener('error', (e) => r.errors.push(`shaka ${e.detail.code}`));
    try { await shk.load(url); } catch (e) { r.errors.push(`shaka load ${e.code}`); return r; }
    r.heights = [...new Set(shk.getVariantTracks().map((t) => t.height))].sort((a, b) => b - a);
    r.textLangs = shk.getTextTracks().map((t) => t.language).sort();
    const en = shk.getTextTracks().find((t) => t.language === 'en');
    if (en) { shk.selectTextTrack(en); shk.setTextTrackVisibility(true); }
  } else {
    dash = dashjs.MediaPlayer().create();
    dash.on(dashjs.MediaPlayer.events.ERROR, (e) => r.errors.push(`dash.js ${JSON.stringify(e.error && (e.error.code || e.error.message) || e.error)}`));
    dash.on(dashjs.MediaPlayer.events.PLAYBACK_ERROR, (e) => r.errors.push(`dash.js playback ${e.error && e.error.message}`));
    dash.initialize(video, url, false);
    await until(() => dash.isReady() && video.readyState >= 1, 15000);
    const reps = dash.getRepresentationsByType ? dash.getRepresentationsByType('video') : dash.getBitrateInfoListFor('video');
    r.heights = [...new Set((reps || []).map((x) => x.height))].sort((a, b) => b - a);
    r.textLangs = (dash.getTracksFor('text') || []).map((t) => t.lang).sort();
  }
  await until(() => video.buffered.length > 0, 10000);
  r.bufferedStart = video.buffered.length ? video.buffered.start(0) : null;
  await until(() => video.buffered.length && video.buffered.end(0) >= Math.min(video.duration, 4) - 0.05, 5000);
  video.playbackRate = Math.max(1, Math.min(4, video.duration / 2));
  await video.play().catch((e) => r.errors.push(`play ${e.name}`));
  r.ended = await until(() => video.ended, 40000);
  r.currentTime = video.currentTime;
  r.duration = video.duration;
  r.audioBytes = video.webkitAudioDecodedByteCount;
  r.cues = [];
  for (const tt of Array.from(video.textTracks))
    if (tt.cues && tt.cues.length) r.cues = Array.from(tt.cues).map((c) => ({ start: +c.startTime.toFixed(3), text: c.text }));
  if (shk) {
    // Trick play: a fresh load (nothing buffered), 4x from the start for 2 s.
    r.trickErrors = [];
    shk.addEventListener('error', (e) => r.trickErrors.push(`shaka ${e.detail.code}`));
    await shk.unload();
    try { await shk.load(url); } catch (e) { r.trickErrors.push(`shaka load ${e.code}`); }
    try { shk.trickPlay(4); } catch (e) { r.trickErrors.push(`trickPlay ${e.message}`); }
    await video.play().catch(() => {});
    await sleep(2000);
    r.trickTime = video.currentTime;
    shk.cancelTrickPlay();
  }
  if (shk) await shk.destroy(); else dash.reset();
  return r;
}

// In the page: hls.js's I-frame player, one I-frame loaded at each of a few times.
async function playIframes(url, total) {
  const video = document.getElementById('v');
  const r = { errors: [], variants: 0, times: [], shown: [] };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const until = async (cond, ms) => { for (const t = Date.now(); Date.now() - t < ms; await sleep(20)) if (cond()) return true; return cond(); };
  const main = new Hls();
  main.loadSource(url);
  await until(() => main.iframeVariants && main.iframeVariants.length, 10000);
  r.variants = main.iframeVariants ? main.iframeVariants.length : 0;
  const ifr = main.createIFramePlayer();
  if (!ifr) { r.errors.push('createIFramePlayer: null'); return r; }
  ifr.on(Hls.Events.ERROR, (e, d) => r.errors.push(`${d.type}/${d.details}${d.fatal ? ' fatal' : ''}`));
  ifr.attachMedia(video);
  await until(() => ifr.levels && ifr.levels.length, 10000);
  r.times = [0.5, total * 0.3, total * 0.6, total - 0.2].map((t) => +t.toFixed(3));
  r.retries = 0;
  for (const t of r.times) {
    // The first call may come before hls.js has the I-frame playlist and be
    // dropped (seen on a one-entry clip): a second try, counted.
    let ok = false;
    for (let attempt = 0; attempt < 2 && !ok; attempt++) {
      r.retries += attempt;
      ifr.loadMediaAt(t);
      ok = await until(() => { const b = video.buffered; for (let k = 0; k < b.length; k++) if (b.start(k) <= t && b.end(k) >= t) return video.videoHeight > 0; return false; }, 5000);
    }
    r.shown.push(ok);
  }
  ifr.destroy();
  main.destroy();
  return r;
}

const code = await session.run(players);
finish(code, { result: sample });
