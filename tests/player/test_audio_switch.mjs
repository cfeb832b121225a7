// Player suite, issue 12 item 3: two audio languages, switchable in hls.js and Shaka.
// A sample is made with ffmpeg's lavfi (testsrc2; English = a 440 Hz tone, French =
// 880 Hz with the default disposition), encoded with `--audio-tracks all`, and played
// in headless Chromium from a loopback HTTP server. Each player must list both
// languages, start on the default one (fr), switch to en, and keep playing; the tone
// heard (a WebAudio AnalyserNode on the <video>) must be the active track's before and
// after the switch.
//
//   node test_audio_switch.mjs [--surround]
//
// --surround: a third, German 5.1 track (330 Hz) and --audio-surround: the AAC 5.1
// rendition must be selectable in both players (CHANNELS 6) and heard.
// --dash: --format cmaf, and the MPD's audio AdaptationSets played instead, in Shaka
// (getAudioLanguages, selectAudioLanguage) and dash.js (getTracksFor, setCurrentTrack).
//
// Env: MPEGFLOW (the CLI), CHROMIUM (default /usr/bin/chromium).
// Exit 0 pass, 1 fail, 77 skip (no Chromium, ffmpeg or the npm packages).
import path from 'node:path';
import { Session, check, finish, requireChromium, requireModules, run, spawn, tempDir, withTimeout } from './harness.mjs';

const TONE = { en: 440, fr: 880, de: 330 };
const surround = process.argv.includes('--surround');
const useDash = process.argv.includes('--dash');

if (!process.env.MPEGFLOW) { console.error('usage: MPEGFLOW=... node test_audio_switch.mjs'); process.exit(2); }
requireModules(['puppeteer-core', 'hls.js', 'shaka-player', ...(useDash ? ['dashjs'] : [])]);
requireChromium();
if (spawn('ffmpeg', ['-version']).status !== 0) { console.log('SKIP: no ffmpeg to make the sample'); process.exit(77); }

const tmp = tempDir('mf-audio-switch-');
const src = path.join(tmp, 'two_languages.mkv'), out = path.join(tmp, 'out');
const session = new Session(tmp);
const code = await session.run(async () => {
  const de51 = surround ? ['-f', 'lavfi', '-i', 'sine=f=330:sample_rate=48000:duration=16,pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0'] : [];
  run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=16',
    '-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000:duration=16', '-f', 'lavfi', '-i', 'sine=f=880:sample_rate=48000:duration=16',
    ...de51, '-map', '0', '-map', '1', '-map', '2', ...(surround ? ['-map', '3', '-metadata:s:a:2', 'language=ger', '-disposition:a:2', '0'] : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac',
    '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fre', '-disposition:a:0', '0', '-disposition:a:1', 'default', src]);
  run(process.env.MPEGFLOW, ['encode', src, '-o', out, '--format', useDash ? 'all' : 'both', '--ladder', '144', '--preset', 'ultrafast',
    '--audio-tracks', 'all', ...(surround ? ['--audio-surround'] : [])]);

  const base = await session.serve(out, { muted: false });
  await session.launch({ autoplay: true });
  for (const player of useDash ? ['shaka', 'dash.js'] : ['hls.js', 'shaka']) {
    const page = await session.page({ 'hls.js': '/hls.js', shaka: '/shaka.js', 'dash.js': '/dash.js' }[player]);
    const url = base + (useDash ? '/out/hls/manifest.mpd' : '/out/hls/master.m3u8');
    const r = await withTimeout(page.evaluate(switchAudio, player, url, TONE, surround), 70000, `${player} page`);
    console.log(`${player}: ${JSON.stringify(r)}`);
    const want = surround ? '["de","en","fr"]' : '["en","fr"]';
    check(`${player}-languages`, JSON.stringify([...new Set(r.languages)].sort()) === want, `${player}: languages ${JSON.stringify(r.languages)}, want ${want}`);
    check(`${player}-default`, r.first === 'fr', `${player}: started on ${r.first} (the source's default is fr)`);
    check(`${player}-tone-before`, Math.abs(r.toneBefore - TONE.fr) < 30, `${player}: ${r.toneBefore} Hz before the switch, fr is ${TONE.fr}`);
    check(`${player}-switched`, r.after === 'en', `${player}: active track after the switch ${r.after}`);
    check(`${player}-tone-after`, Math.abs(r.toneAfter - TONE.en) < 30, `${player}: ${r.toneAfter} Hz after the switch, en is ${TONE.en} (${r.switchDelay} s after it)`);
    if (surround)
      check(`${player}-surround`, r.surroundChannels === 6 && Math.abs(r.toneSurround - TONE.de) < 30 && r.surroundPlayedOn > 1,
        `${player}: the 5.1 rendition: ${r.surroundChannels} channels, ${r.toneSurround} Hz (de is ${TONE.de}), played ${r.surroundPlayedOn} s`);
    check(`${player}-plays-on`, r.playedOn > 1 && r.bufferedAhead > 0 && !r.errors.length,
      `${player}: played ${r.playedOn} s in the 1.5 s after the new tone was heard (${r.progressAfter} s since the switch), ${r.bufferedAhead} s buffered ahead, errors ${JSON.stringify(r.errors)}`);
    await page.close();
  }
  // The MP4 carries both tracks; a plain <video> plays its enabled one, the default (fr).
  const page = await session.page();
  const m = await page.evaluate(playMp4, base + '/out/144p.mp4');
  console.log(`mp4: ${JSON.stringify(m)}`);
  check('mp4-default-track', !m.error && Math.abs(m.tone - TONE.fr) < 30 && m.currentTime > 1,
    `144p.mp4 in a <video>: ${m.tone} Hz at ${m.currentTime} s (the default track, fr, is ${TONE.fr}), error ${m.error}`);
  await page.close();
});

// In the page: play, hear the default track, switch to en, hear it, keep playing.
async function switchAudio(player, url, TONE, surround) {
  const video = document.getElementById('v');
  const r = { errors: [], languages: [], first: null, after: null, toneBefore: 0, toneAfter: 0 };
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const until = async (cond, ms) => { for (const t = Date.now(); Date.now() - t < ms; await sleep(50)) if (await cond()) return true; return cond(); };
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 8192;
  const mute = ctx.createGain();
  mute.gain.value = 0;
  ctx.createMediaElementSource(video).connect(analyser);
  analyser.connect(mute).connect(ctx.destination);
  const bins = new Float32Array(analyser.frequencyBinCount);
  // The loudest frequency, the median of a few reads 100 ms apart.
  const tone = async () => {
    const peaks = [];
    for (let i = 0; i < 5; i++) {
      analyser.getFloatFrequencyData(bins);
      let k = 1;
      for (let j = 1; j < bins.length; j++) if (bins[j] > bins[k]) k = j;
      peaks.push(bins[k] > -100 ? Math.round((k * ctx.sampleRate) / analyser.fftSize) : 0);
      await sleep(100);
    }
    return peaks.sort((a, b) => a - b)[2];
  };
  video.addEventListener('error', () => r.errors.push(`video ${video.error && video.error.code}`));
  let hls, shk, dsh, active;
  if (player === 'dash.js') {
    dsh = dashjs.MediaPlayer().create();
    dsh.on(dashjs.MediaPlayer.events.ERROR, (e) => r.errors.push(`dash.js ${JSON.stringify(e.error && (e.error.code || e.error.message))}`));
    dsh.initialize(video, url, false);
    await until(() => dsh.getTracksFor('audio').length >= 2, 10000);
    r.languages = dsh.getTracksFor('audio').map((t) => t.lang);
    active = () => (dsh.getCurrentTrackFor('audio') || {}).lang;
  } else if (player === 'hls.js') {
    hls = new Hls();
    hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) r.errors.push(`${d.type}/${d.details} fatal`); });
    hls.attachMedia(video);
    hls.loadSource(url);
    await until(() => hls.audioTracks && hls.audioTracks.length >= 2, 10000);
    r.languages = hls.audioTracks.map((t) => t.lang);
    active = () => hls.audioTracks[hls.audioTrack] && hls.audioTracks[hls.audioTrack].lang;
  } else {
    shaka.polyfill.installAll();
    shk = new shaka.Player();
    await shk.attach(video);
    shk.addEventListener('error', (e) => r.errors.push(`shaka ${e.detail.code}`));
    try { await shk.load(url); } catch (e) { r.errors.push(`shaka load ${e.code}`); return r; }
    r.languages = shk.getAudioLanguages();
    active = () => (shk.getVariantTracks().find((t) => t.active) || {}).language;
  }
  await ctx.resume();
  await video.play().catch((e) => r.errors.push(`play ${e.name}`));
  await until(() => video.currentTime > 1.5, 10000);
  r.first = active();
  r.toneBefore = await tone();
  // Switch, then wait until the other tone is heard (the player flushes or plays out what it buffered).
  const t0 = video.currentTime;
  if (hls) hls.audioTrack = hls.audioTracks.findIndex((t) => t.lang === 'en');
  else if (dsh) dsh.setCurrentTrack(dsh.getTracksFor('audio').find((t) => t.lang === 'en'));
  else shk.selectAudioLanguage('en');
  await until(() => active() === 'en', 5000);
  r.after = active();
  await until(async () => Math.abs((await tone()) - TONE.en) < 30, 8000);
  r.switchDelay = +(video.currentTime - t0).toFixed(2);
  r.toneAfter = await tone();
  const t1 = video.currentTime;
  await sleep(1500);
  r.progressAfter = +(video.currentTime - t0).toFixed(2);
  r.playedOn = +(video.currentTime - t1).toFixed(2);
  const b = video.buffered;
  r.bufferedAhead = b.length ? +(b.end(b.length - 1) - video.currentTime).toFixed(2) : 0;
  if (surround) {
    // The AAC 5.1 rendition: hls.js by its CHANNELS, Shaka by language and channel count.
    if (dsh) {
      const six = dsh.getTracksFor('audio').find((t) => t.lang === 'de' && JSON.stringify(t.audioChannelConfiguration || '').includes('6'));
      if (six) dsh.setCurrentTrack(six);
      r.surroundChannels = six ? 6 : 0;
    } else if (hls) {
      hls.audioTrack = hls.audioTracks.findIndex((t) => t.lang === 'de' && t.channels === '6');
      await until(() => hls.audioTracks[hls.audioTrack] && hls.audioTracks[hls.audioTrack].channels === '6', 5000);
      r.surroundChannels = +(hls.audioTracks[hls.audioTrack] || {}).channels;
    } else {
      shk.selectAudioLanguage('de', '', 6);
      await until(() => (shk.getVariantTracks().find((t) => t.active) || {}).channelsCount === 6, 5000);
      r.surroundChannels = (shk.getVariantTracks().find((t) => t.active) || {}).channelsCount;
    }
    await until(async () => Math.abs((await tone()) - TONE.de) < 30, 8000);
    r.toneSurround = await tone();
    const t2 = video.currentTime;
    await sleep(1500);
    r.surroundPlayedOn = +(video.currentTime - t2).toFixed(2);
  }
  if (hls) hls.destroy(); else if (dsh) dsh.reset(); else await shk.destroy();
  await ctx.close();
  return r;
}

// In the page: the loudest frequency of a plain <video> playing url, 2 s in.
async function playMp4(url) {
  const video = document.getElementById('v');
  const sleep = (ms) => new Promise((s) => setTimeout(s, ms));
  const ctx = new AudioContext(), analyser = ctx.createAnalyser(), mute = ctx.createGain();
  analyser.fftSize = 8192;
  mute.gain.value = 0;
  ctx.createMediaElementSource(video).connect(analyser);
  analyser.connect(mute).connect(ctx.destination);
  const r = { error: null, tone: 0 };
  video.addEventListener('error', () => { r.error = video.error && video.error.code; });
  video.src = url;
  await ctx.resume();
  await video.play().catch((e) => { r.error = e.name; });
  for (const t = Date.now(); Date.now() - t < 10000 && video.currentTime < 2 && !r.error; ) await sleep(50);
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let k = 1;
  for (let j = 1; j < bins.length; j++) if (bins[j] > bins[k]) k = j;
  r.tone = bins[k] > -100 ? Math.round((k * ctx.sampleRate) / analyser.fftSize) : 0;
  r.currentTime = video.currentTime;
  video.pause();
  await ctx.close();
  return r;
}

finish(code, { result: 'audio-switch' });
