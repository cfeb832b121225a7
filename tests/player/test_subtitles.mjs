// Player suite, subtitles (issue 12 item 2): a clip made here with ffmpeg lavfi whose
// cue i is shown from i s to i + 0.8 s in two languages (SRT tracks: eng default,
// fre forced) is encoded to HLS; then in headless Chromium hls.js and Shaka Player
// must list both subtitle tracks with their languages and, for each track, show
// cue i at t = i s: on screen (activeCues) 0.1 s after i, not 0.1 s before, and the
// cue the player parsed starting within 100 ms of i.
//
//   node test_subtitles.mjs
//
// Env: MPEGFLOW, CHROMIUM (default /usr/bin/chromium). Exit 0 pass, 1 fail, 77 skip.
import fs from 'node:fs';
import path from 'node:path';
import { readInit, readSegment } from './mp4box.mjs';
import { Session, check, finish, requireChromium, requireModules, run, tempDir, withTimeout } from './harness.mjs';

const N = 11, SECONDS = 13;
if (!process.env.MPEGFLOW) { console.error('usage: MPEGFLOW=... node test_subtitles.mjs'); process.exit(2); }
requireModules(['puppeteer-core', 'hls.js', 'shaka-player']);
requireChromium();

// --- the sample -------------------------------------------------------------------
const tmp = tempDir('mf-subs-');
const ts = (ms) => `${String(Math.floor(ms / 3600000)).padStart(2, '0')}:${String(Math.floor(ms / 60000) % 60).padStart(2, '0')}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')},${String(ms % 1000).padStart(3, '0')}`;
const texts = { en: (i) => `cue ${i}`, fr: (i) => `réplique ${i}` };
for (const [lang, text] of Object.entries(texts)) {
  let s = '';
  for (let i = 1; i <= N; i++) s += `${i}\n${ts(i * 1000)} --> ${ts(i * 1000 + 800)}\n${text(i)}\n\n`;
  fs.writeFileSync(path.join(tmp, `${lang}.srt`), s);
}
const src = path.join(tmp, 'cues.mkv');
run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${SECONDS}`,
  '-f', 'lavfi', '-i', `sine=frequency=440:duration=${SECONDS}`, '-i', path.join(tmp, 'en.srt'), '-i', path.join(tmp, 'fr.srt'),
  '-map', '0', '-map', '1', '-map', '2', '-map', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
  '-metadata:s:s:0', 'language=eng', '-metadata:s:s:1', 'language=fre', '-disposition:s:0', 'default', '-disposition:s:1', 'forced', src]);
const out = path.join(tmp, 'out');
run(process.env.MPEGFLOW, ['encode', src, '-o', out, '--format', 'hls', '--ladder', '240', '--gop', '2']);

// --- static: X-TIMESTAMP-MAP's MPEGTS is the video's first presentation time -------
const seg0 = fs.readFileSync(path.join(out, 'hls/subtitles/sub0-en/seg_00000.vtt'), 'utf8');
const mpegts = +(/X-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00\.000/.exec(seg0) || [])[1];
const init = readInit(path.join(out, 'hls/240p/init.mp4'))[0];
const first = Math.min(...readSegment(path.join(out, 'hls/240p/seg_00000.m4s')).map((x) => x.pts)) / init.timescale;
check('timestamp-map', Math.abs(mpegts / 90000 - first) <= 0.001, `MPEGTS ${mpegts} (${(mpegts / 90000).toFixed(4)} s), first video sample at ${first.toFixed(4)} s`);

// --- players ------------------------------------------------------------------------
const session = new Session(tmp);

// In the page: load the master, list the subtitle tracks, and for each of them
// seek to i - 0.1 and i + 0.1 and read what is on screen.
async function probeSubs(player, url, n) {
  const video = document.getElementById('v');
  const r = { errors: [], tracks: [], shown: {} };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const until = async (cond, ms) => { for (const t = Date.now(); Date.now() - t < ms; await sleep(20)) if (cond()) return true; return cond(); };
  let hls, shk;
  if (player === 'hls.js') {
    hls = new Hls({ subtitleDisplay: true });
    // Fatal errors, and any about the subtitles (a load a seek aborted is neither).
    hls.on(Hls.Events.ERROR, (e, d) => {
      if (d.details === 'aborted' && !d.fatal) return;
      if (d.fatal || /subtitle|vtt|text|cue/i.test(d.details) || d.frag?.type === 'subtitle') r.errors.push(`${d.type}/${d.details}${d.fatal ? ' fatal' : ''}`);
    });
    hls.attachMedia(video);
    hls.loadSource(url);
    await until(() => hls.subtitleTracks && hls.subtitleTracks.length, 10000);
    r.tracks = hls.subtitleTracks.map((t) => ({ lang: t.lang, name: t.name, default: t.default, forced: t.forced }));
  } else {
    shaka.polyfill.installAll();
    shk = new shaka.Player();
    await shk.attach(video);
    shk.addEventListener('error', (e) => r.errors.push(`shaka ${e.detail.code}`));
    try { await shk.load(url); } catch (e) { r.errors.push(`shaka load ${e.code}`); return r; }
    r.tracks = shk.getTextTracks().map((t) => ({ lang: t.language, name: t.label, forced: t.forced }));
  }
  // The cues on screen: the showing (or hidden) text tracks' active cues.
  const onScreen = () => Array.from(video.textTracks).filter((t) => t.mode !== 'disabled')
    .flatMap((t) => Array.from(t.activeCues || [])).map((c) => ({ text: c.text, start: c.startTime, end: c.endTime }));
  const seek = async (t) => {
    video.currentTime = t;
    await until(() => !video.seeking, 5000);
    await sleep(60);
  };
  for (let k = 0; k < r.tracks.length; k++) {
    if (hls) { hls.subtitleTrack = k; hls.subtitleDisplay = true; }
    else { const t = shk.getTextTracks()[k]; shk.selectTextTrack(t); await shk.setTextTrackVisibility(true); }
    const lang = r.tracks[k].lang, rows = [];
    for (let i = 1; i <= n; i++) {
      await seek(i + 0.1);
      // the segment may still be loading: a few tries
      await until(() => onScreen().length > 0, 3000);
      const after = onScreen();
      await seek(i - 0.1);
      const before = onScreen();
      rows.push({ i, after, before });
    }
    r.shown[lang] = rows;
  }
  if (hls) hls.destroy(); else await shk.destroy();
  return r;
}

async function players() {
  const base = await session.serve(out, { charset: true });
  await session.launch();
  for (const player of ['hls.js', 'shaka']) {
    const page = await session.page(player === 'hls.js' ? '/hls.js' : '/shaka.js');
    const r = await withTimeout(page.evaluate(probeSubs, player, base + '/out/hls/master.m3u8', N), 120000, `${player} page`);
    await page.close();
    check(`${player}-no-errors`, !r.errors.length, `errors ${JSON.stringify(r.errors)}`);
    const langs = r.tracks.map((t) => t.lang).sort();
    check(`${player}-tracks`, JSON.stringify(langs) === '["en","fr"]', `subtitle tracks ${JSON.stringify(r.tracks)}`);
    for (const [lang, rows] of Object.entries(r.shown)) {
      const want = texts[lang.slice(0, 2)];
      const bad = [], starts = [];
      for (const { i, after, before } of rows) {
        const cue = after.find((c) => c.text === want(i));
        if (cue) starts.push(+(cue.start - i).toFixed(3));
        if (!cue || Math.abs(cue.start - i) > 0.1 || before.some((c) => c.text === want(i)))
          bad.push(`cue ${i}: at ${i + 0.1} s ${JSON.stringify(after)}, at ${i - 0.1} s ${JSON.stringify(before)}`);
      }
      check(`${player}-cues-${lang}`, rows.length === N && !bad.length,
            `${rows.length - bad.length}/${N} cues shown at i s (start - i: ${starts.join(' ')})${bad.length ? '; ' + bad.slice(0, 3).join('; ') : ''}`);
    }
    check(`${player}-both-tracks-shown`, Object.keys(r.shown).length === 2, `tracks probed ${Object.keys(r.shown)}`);
  }
}

finish(await session.run(players), { names: true, pass: true });
