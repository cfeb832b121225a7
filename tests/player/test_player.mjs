// Player suite: encode one sample with mpegflow (--format both, small ladder),
// check the HLS output against RFC 8216 and against what its fragments hold,
// then play it for real in headless Chromium with hls.js and Shaka Player,
// and each MP4 in a plain <video>, served from a loopback HTTP server.
//
//   node test_player.mjs SAMPLE [--codec hevc] [--gop S] [--ladder H,H] [--static-only]
//
// Env: MPEGFLOW (the CLI), MEDIA_DIR, CHROMIUM (default /usr/bin/chromium).
// Exit 0 pass, 1 fail, 77 skip (no Chromium or the npm packages are missing).
import fs from 'node:fs';
import path from 'node:path';
import { readInit, readSegment } from './mp4box.mjs';
import { Session, check, chromium, encode, ffprobe, finish, requireModules, tempDir, withTimeout } from './harness.mjs';

const args = process.argv.slice(2);
const sample = args[0];
const opt = (name, dflt) => { const i = args.indexOf(name); return i > 0 ? args[i + 1] : dflt; };
const codec = opt('--codec', 'h264'), gop = opt('--gop', null), ladder = opt('--ladder', '240,144');
const staticOnly = args.includes('--static-only') || codec !== 'h264'; // Chromium: no HEVC decoder

if (!sample || !process.env.MPEGFLOW || !process.env.MEDIA_DIR) {
  console.error('usage: MPEGFLOW=... MEDIA_DIR=... node test_player.mjs SAMPLE [options]');
  process.exit(2);
}
const src = path.join(process.env.MEDIA_DIR, sample);
if (!fs.existsSync(src)) { console.log(`SKIP: ${src} missing`); process.exit(77); }
requireModules(['puppeteer-core', 'hls.js', 'shaka-player', 'm3u8-parser']);
if (!staticOnly && !fs.existsSync(chromium)) { console.log(`SKIP: no Chromium at ${chromium}`); process.exit(77); }
const { Parser } = await import('m3u8-parser');

const info = (line) => console.log(`info ${line}`);
const parse = (file) => { const p = new Parser(); p.push(fs.readFileSync(file, 'utf8')); p.end(); return p.manifest; };

// --- encode -------------------------------------------------------------------
const tmp = tempDir('mf-player-');
const out = path.join(tmp, 'out');
const t0 = Date.now();
const encArgs = ['encode', src, '-o', out, '--format', 'both', '--ladder', ladder, '--codec', codec];
if (gop) encArgs.push('--gop', gop);
encode(encArgs);
console.log(`encoded ${sample} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const hlsDir = path.join(out, 'hls');
const master = parse(path.join(hlsDir, 'master.m3u8'));
const srcInfo = ffprobe(['-show_streams', src]);
const srcHasAudio = srcInfo.streams.some((s) => s.codec_type === 'audio');

// --- static checks: playlists against the fragments they list ---------------------
// A media playlist's segments, each with its EXTINF, bytes and samples (seconds).
function readMedia(uri) {
  const file = path.join(hlsDir, uri), dir = path.dirname(file);
  const m = parse(file);
  const init = readInit(path.join(dir, m.segments[0].map.uri))[0];
  const segs = m.segments.map((s) => {
    const f = path.join(dir, s.uri);
    const samples = readSegment(f).map((x) => ({ pts: x.pts / init.timescale, end: (x.pts + x.duration) / init.timescale }));
    const start = Math.min(...samples.map((x) => x.pts)), end = Math.max(...samples.map((x) => x.end));
    return { extinf: s.duration, bytes: fs.statSync(f).size, frames: samples.length, start, span: end - start };
  });
  return { m, init, segs, total: segs.reduce((a, s) => a + s.extinf, 0) };
}

// RFC 8216 4.3.4.2: the largest bit rate of any contiguous run of segments whose
// total duration is 0.5-1.5 x the target duration (the whole playlist when none is).
function peakBps(media) {
  const T = media.m.targetDuration, s = media.segs;
  let peak = 0;
  for (let i = 0; i < s.length; i++) {
    let d = 0, b = 0;
    for (let j = i; j < s.length; j++) {
      d += s[j].extinf; b += s[j].bytes;
      if (d > 1.5 * T) break;
      if (d >= 0.5 * T) peak = Math.max(peak, (b * 8) / d);
    }
  }
  if (!peak) peak = (s.reduce((a, x) => a + x.bytes, 0) * 8) / media.total;
  return peak;
}
const avgBps = (media) => (media.segs.reduce((a, x) => a + x.bytes, 0) * 8) / media.total;

const audioGroup = master.mediaGroups?.AUDIO?.audio;
const audioUri = audioGroup && Object.values(audioGroup)[0]?.uri;
const audio = audioUri ? readMedia(audioUri) : null;
check('audio-rendition', !!audio === srcHasAudio, `source has audio: ${srcHasAudio}, master lists audio: ${!!audio}`);
if (audio) {
  const first = audio.segs[0].start;
  check('first-pts', Math.abs(first) <= 0.001, `first audio sample (fragment) at ${first.toFixed(4)} s`);
  const ap = ffprobe(['-show_entries', 'packet=pts_time', '-read_intervals', '%+#8', path.join(hlsDir, audioUri)]);
  const f = Math.min(...ap.packets.map((p) => +p.pts_time));
  info(`first audio packet as ffprobe reads the playlist (it applies the edit list): ${f.toFixed(4)} s`);
}

const variants = master.playlists.map((v) => ({ v, media: readMedia(v.uri) }));
for (const { v, media } of variants) {
  const a = v.attributes, name = path.dirname(v.uri), frame = 1 / (a['FRAME-RATE'] || 30);
  const spanEnd = Math.max(...media.segs.map((s) => s.start + s.span));
  const fps = media.segs.reduce((x, s) => x + s.frames, 0) / (spanEnd - media.segs[0].start);
  const tol = media.segs.length ? media.segs[0].span / media.segs[0].frames : frame;   // one (average) frame
  const frameDur = Math.max(...media.segs.map((s) => s.span / s.frames));
  media.segs.forEach((s, i) => {
    if (Math.abs(s.extinf - s.span) > Math.max(frameDur, tol) + 1e-3)
      check('extinf', false, `${name} segment ${i}: EXTINF ${s.extinf} vs span ${s.span.toFixed(4)} (${s.frames} frames)`);
  });
  check('extinf', true, `${name}: ${media.segs.length} segments, EXTINF ${media.segs.map((s) => s.extinf).join(' ')}`);
  const mp4 = path.join(out, `${name}.mp4`);
  const mp4dur = +ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=duration', mp4]).streams[0].duration;
  check('extinf', Math.abs(media.total - mp4dur) <= frameDur + 1e-3,
        `${name}: playlist total ${media.total.toFixed(4)} s, MP4 video ${mp4dur.toFixed(4)} s`);
  const first = media.segs[0].start;
  check('first-pts', Math.abs(first) <= 0.001, `${name}: first video sample (fragment) at ${first.toFixed(4)} s`);
  const vp = ffprobe(['-show_entries', 'packet=pts_time', '-read_intervals', '%+#8', path.join(hlsDir, v.uri)]);
  const fv = Math.min(...vp.packets.map((p) => +p.pts_time));
  info(`${name}: first video packet as ffprobe reads the playlist (FFmpeg adds the largest negative composition offset): ${fv.toFixed(4)} s`);

  const peak = peakBps(media) + (audio ? peakBps(audio) : 0);
  const avg = avgBps(media) + (audio ? avgBps(audio) : 0);
  check('bandwidth', a.BANDWIDTH >= peak * 0.999 && a.BANDWIDTH <= peak * 1.1,
        `${name}: BANDWIDTH ${a.BANDWIDTH}, RFC 8216 peak ${Math.round(peak)}`);
  check('average-bandwidth', Math.abs(a['AVERAGE-BANDWIDTH'] - avg) <= 0.1 * avg,
        `${name}: AVERAGE-BANDWIDTH ${a['AVERAGE-BANDWIDTH']}, bytes*8/duration ${Math.round(avg)}`);
  check('frame-rate', Math.abs(a['FRAME-RATE'] - fps) <= 0.01 * fps,
        `${name}: FRAME-RATE ${a['FRAME-RATE']}, frames/duration ${fps.toFixed(3)}`);
  const want = [media.init.codec, ...(audio ? [audio.init.codec] : [])].sort().join(',');
  const have = a.CODECS.split(',').map((c) => c.trim()).sort().join(',');
  check('codecs', want === have, `${name}: CODECS "${a.CODECS}", init segments hold "${want}"`);
}
console.log(`RESULT-BW ${sample} ` + variants.map(({ v }) => `${path.dirname(v.uri)}:${v.attributes.BANDWIDTH}/${v.attributes['AVERAGE-BANDWIDTH']}`).join(' '));

// --- players --------------------------------------------------------------------
const session = new Session(tmp);
async function players() {
  const base = await session.serve(out);
  await session.launch({ autoplay: true });
  const heights = master.playlists.map((p) => p.attributes.RESOLUTION.height);

  for (const player of ['hls.js', 'shaka']) {
    const page = await session.page(player === 'hls.js' ? '/hls.js' : '/shaka.js');
    const r = await withTimeout(page.evaluate(playHls, player, base + '/out/hls/master.m3u8', heights), 60000, `${player} page`);
    console.log(`${player}: ${JSON.stringify(r)}`);
    check(`${player}-plays`, r.ended && !r.errors.length, `${player}: ended ${r.ended} at ${r.currentTime}, errors ${JSON.stringify(r.errors)}`);
    check(`${player}-buffered-0`, r.bufferedStart !== null && r.bufferedStart <= 0.001, `${player}: buffered from ${r.bufferedStart}`);
    check(`${player}-levels`, heights.every((h) => r.heightsSeen.includes(h)), `${player}: forced levels ${heights}, videoHeight seen ${r.heightsSeen}`);
    if (srcHasAudio)
      check(`${player}-audio`, r.audioTracks > 0 && r.audioBytes > 0, `${player}: ${r.audioTracks} audio tracks, ${r.audioBytes} audio bytes decoded`);
    await page.close();
  }
  for (const { v } of variants) {
    const name = path.dirname(v.uri);
    const page = await session.page();
    const r = await withTimeout(page.evaluate(playMp4, `${base}/out/${name}.mp4`), 45000, `${name}.mp4 page`);
    check('mp4-plays', r.ended && !r.error && r.videoHeight === v.attributes.RESOLUTION.height,
          `${name}.mp4: ${JSON.stringify(r)}`);
    await page.close();
  }
}

// In the page: play the master with hls.js or Shaka to the end, then force each level.
async function playHls(player, url, heights) {
  const video = document.getElementById('v');
  const r = { errors: [], starved: [], ended: false, bufferedStart: null, heightsSeen: [], audioTracks: 0, audioBytes: 0 };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const until = async (cond, ms) => { for (const t = Date.now(); Date.now() - t < ms; await sleep(20)) if (cond()) return true; return cond(); };
  let hls, shk, switching = false;
  if (player === 'hls.js') {
    hls = new Hls({ capLevelToPlayerSize: false, startLevel: 0 });
    // Every error while it plays through; while levels are forced (which aborts loads), fatal ones.
    hls.on(Hls.Events.ERROR, (e, d) => {
      if (switching && !d.fatal) return;
      const t = video.currentTime, b = video.buffered;
      const ranges = Array.from({ length: b.length }, (_, k) => `${b.start(k).toFixed(3)}-${b.end(k).toFixed(3)}`);
      const msg = `${d.type}/${d.details}${d.fatal ? ' fatal' : ''} at ${t.toFixed(3)} buffered ${ranges}`;
      // A stall with the picture buffered well ahead is this machine not keeping up
      // (2 shared cores), not a hole in what we wrote: reported, not counted.
      const ahead = Array.from({ length: b.length }, (_, k) => b.start(k) <= t + 0.001 && b.end(k) > t + 0.25).some((x) => x);
      if (d.details === 'bufferStalledError' && ahead && !d.fatal) r.starved.push(msg); else r.errors.push(msg);
    });
    hls.attachMedia(video);
    hls.loadSource(url);
    await until(() => hls.levels && hls.levels.length, 10000);
  } else {
    shaka.polyfill.installAll();
    shk = new shaka.Player();
    await shk.attach(video);
    shk.addEventListener('error', (e) => r.errors.push(`shaka ${e.detail.code}`));
    try { await shk.load(url); } catch (e) { r.errors.push(`shaka load ${e.code}`); return r; }
  }
  video.addEventListener('error', () => r.errors.push(`video ${video.error && video.error.code}`));
  video.addEventListener('timeupdate', () => { if (video.videoHeight && !r.heightsSeen.includes(video.videoHeight)) r.heightsSeen.push(video.videoHeight); });
  await until(() => video.buffered.length > 0, 10000);
  r.bufferedStart = video.buffered.length ? video.buffered.start(0) : null;
  // Let a short clip load whole before playing fast: at 8x a 0.3 s clip would
  // otherwise run into its end before the player has signalled end of stream.
  await until(() => video.buffered.length && video.buffered.end(0) >= Math.min(video.duration, 4) - 0.05, 5000);
  video.playbackRate = Math.max(1, Math.min(4, video.duration / 2));   // 2-4 s of playing
  await video.play().catch((e) => r.errors.push(`play ${e.name}`));
  r.ended = await until(() => video.ended, 30000);
  r.currentTime = video.currentTime;
  r.duration = video.duration;
  r.audioBytes = video.webkitAudioDecodedByteCount;
  r.audioTracks = hls ? hls.audioTracks.length : shk.getVariantTracks().filter((t) => t.audioCodec).length;
  // Force each level in turn and see the picture change to its height.
  r.heightsSeen = [];
  switching = true;
  for (let i = 0; i < heights.length; i++) {
    const h = heights[i];
    if (hls) {
      // A fresh instance locked to the level: switching a player that has
      // ended (MediaSource closed) tests hls.js's recovery, not our output.
      hls.destroy();
      hls = new Hls({ startLevel: i });
      hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) r.errors.push(`${d.type}/${d.details} fatal`); });
      hls.attachMedia(video);
      hls.loadSource(url);
      await until(() => hls.levels && hls.levels.length, 10000);
      hls.currentLevel = hls.levels.findIndex((l) => l.height === h);
    } else {
      shk.configure({ abr: { enabled: false } });
      const t = shk.getVariantTracks().find((x) => x.height === h);
      shk.selectVariantTrack(t, true);
    }
    // Play from 0 until the picture has the level's height; a clip shorter than the
    // switch (0.3 s) may end first, so a few tries.
    video.playbackRate = 1;
    for (let attempt = 0; attempt < 4; attempt++) {
      video.currentTime = 0;
      await video.play().catch(() => {});
      if (await until(() => video.videoHeight === h && video.currentTime > 0, 5000)) { r.heightsSeen.push(h); break; }
    }
    video.pause();
  }
  if (hls) hls.destroy(); else await shk.destroy();
  return r;
}

async function playMp4(url) {
  const video = document.getElementById('v');
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const r = { ended: false, error: null };
  video.addEventListener('error', () => { r.error = video.error && video.error.code; });
  video.src = url;
  video.playbackRate = 4;
  await video.play().catch((e) => { r.error = e.name; });
  for (const t = Date.now(); Date.now() - t < 30000 && !video.ended && !r.error; ) await sleep(20);
  return Object.assign(r, { ended: video.ended, currentTime: video.currentTime, duration: video.duration, videoHeight: video.videoHeight });
}

const code = await session.run(async () => {
  if (staticOnly) console.log(`players: not run for ${codec} (Chromium decodes H.264/AAC; Debian's build has no HEVC decoder)`);
  else await players();
});
finish(code, { result: sample });
