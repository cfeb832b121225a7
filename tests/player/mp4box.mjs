// Just enough ISO BMFF reading for the player suite: the codec string an
// init segment holds, and each fragment's samples (decode time, duration,
// composition offset) as the spec defines them (ISO/IEC 14496-12 8.8).
import fs from 'node:fs';

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'moof', 'traf', 'mvex', 'edts']);

export function boxes(buf, start = 0, end = buf.length) {
  const out = [];
  for (let off = start; off + 8 <= end;) {
    let size = buf.readUInt32BE(off), hdr = 8;
    const type = buf.toString('latin1', off + 4, off + 8);
    if (size === 1) { size = Number(buf.readBigUInt64BE(off + 8)); hdr = 16; }
    if (size === 0) size = end - off;
    if (size < hdr) break;
    out.push({ type, start: off + hdr, end: off + size });
    off += size;
  }
  return out;
}

export function find(buf, path, start = 0, end = buf.length) {
  const [head, ...rest] = path;
  const found = [];
  for (const b of boxes(buf, start, end)) {
    if (b.type !== head) continue;
    if (!rest.length) found.push(b);
    else if (CONTAINERS.has(head)) found.push(...find(buf, rest, b.start, b.end));
  }
  return found;
}

const hex2 = (n) => n.toString(16).padStart(2, '0');

// The RFC 6381 string of the sample entry in an stsd box.
function entryCodec(buf, entry) {
  const t = entry.type;
  if (t === 'avc1' || t === 'avc3') {
    const c = find(buf, ['avcC'], entry.start + 78, entry.end)[0];
    if (c) return `${t}.${hex2(buf[c.start + 1])}${hex2(buf[c.start + 2])}${hex2(buf[c.start + 3])}`;
  }
  if (t === 'hvc1' || t === 'hev1') {
    const c = find(buf, ['hvcC'], entry.start + 78, entry.end)[0];
    if (c) {
      const p = c.start + 1, b0 = buf[p];
      const compat = buf.readUInt32BE(p + 1);
      let rev = 0;
      for (let i = 0; i < 32; i++) rev = (rev | (((compat >>> i) & 1) << (31 - i))) >>> 0;
      let s = `${t}.${['', 'A', 'B', 'C'][b0 >> 6]}${b0 & 0x1f}.${rev.toString(16).toUpperCase()}.` +
              `${b0 & 0x20 ? 'H' : 'L'}${buf[p + 11]}`;
      let last = 10;
      while (last > 5 && !buf[p + last]) last--;
      for (let i = 5; i <= last; i++) s += '.' + buf[p + i].toString(16).toUpperCase();
      return s;
    }
  }
  if (t === 'mp4a') {
    // esds: ES_Descriptor > DecoderConfigDescriptor (objectTypeIndication) > DecSpecificInfo (AOT)
    const e = find(buf, ['esds'], entry.start + 28, entry.end)[0];
    if (e) {
      const d = buf.subarray(e.start + 4, e.end);
      let i = 0;
      const desc = () => { const tag = d[i++]; let len = 0, b; do { b = d[i++]; len = (len << 7) | (b & 0x7f); } while (b & 0x80); return { tag, len }; };
      if (desc().tag === 3) {
        const flags = d[i + 2]; i += 3;
        if (flags & 0x80) i += 2;
        if (flags & 0x40) i += 1 + d[i];
        if (flags & 0x20) i += 2;
        if (desc().tag === 4) {
          const oti = d[i]; i += 13;
          if (oti !== 0x40) return `mp4a.${oti.toString(16)}`;
          if (desc().tag === 5) {
            let aot = d[i] >> 3;
            if (aot === 31) aot = 32 + (((d[i] & 7) << 3) | (d[i + 1] >> 5));
            return `mp4a.40.${aot}`;
          }
        }
      }
    }
  }
  return { 'ac-3': 'ac-3', 'ec-3': 'ec-3', Opus: 'Opus', fLaC: 'fLaC' }[t] || t;
}

// { codec, timescale, handler } of every track of an init segment (or MP4).
export function readInit(path) {
  const buf = fs.readFileSync(path);
  return find(buf, ['moov', 'trak']).map((trak) => {
    const mdhd = find(buf, ['mdia', 'mdhd'], trak.start, trak.end)[0];
    const v = buf[mdhd.start];
    const timescale = buf.readUInt32BE(mdhd.start + (v ? 20 : 12));
    const hdlr = find(buf, ['mdia', 'hdlr'], trak.start, trak.end)[0];
    const handler = buf.toString('latin1', hdlr.start + 8, hdlr.start + 12);
    const stsd = find(buf, ['mdia', 'minf', 'stbl', 'stsd'], trak.start, trak.end)[0];
    const entry = boxes(buf, stsd.start + 8, stsd.end)[0];
    return { codec: entryCodec(buf, entry), timescale, handler };
  });
}

// The samples of a media segment: [{ dts, pts, duration }] in the track's timescale.
export function readSegment(path) {
  const buf = fs.readFileSync(path);
  const samples = [];
  for (const traf of find(buf, ['moof', 'traf'])) {
    const tfhd = find(buf, ['tfhd'], traf.start, traf.end)[0];
    const tf = buf.readUInt32BE(tfhd.start) & 0xffffff;
    let p = tfhd.start + 8, defDur = 0;
    if (tf & 1) p += 8;
    if (tf & 2) p += 4;
    if (tf & 8) defDur = buf.readUInt32BE(p);
    const tfdt = find(buf, ['tfdt'], traf.start, traf.end)[0];
    let dts = buf[tfdt.start] ? Number(buf.readBigUInt64BE(tfdt.start + 4)) : buf.readUInt32BE(tfdt.start + 4);
    for (const trun of find(buf, ['trun'], traf.start, traf.end)) {
      const ver = buf[trun.start], fl = buf.readUInt32BE(trun.start) & 0xffffff;
      const n = buf.readUInt32BE(trun.start + 4);
      let q = trun.start + 8;
      if (fl & 1) q += 4;
      if (fl & 4) q += 4;
      for (let k = 0; k < n; k++) {
        let dur = defDur, cts = 0;
        if (fl & 0x100) { dur = buf.readUInt32BE(q); q += 4; }
        if (fl & 0x200) q += 4;
        if (fl & 0x400) q += 4;
        if (fl & 0x800) { cts = ver ? buf.readInt32BE(q) : buf.readUInt32BE(q); q += 4; }
        samples.push({ dts, pts: dts + cts, duration: dur });
        dts += dur;
      }
    }
  }
  return samples;
}
