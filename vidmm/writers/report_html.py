"""One self-contained HTML page for many videos: thumbnails inlined (base64 JPEG), inline CSS, no script,
no network. Per video: a header line (length, size, codecs), a timeline with one lane per result
(shots with their scene label, emotion segments, speech, on-screen text), the shot thumbnails with their
labels, the overall scene and emotion scores as bars, the transcript and the text shown. Any task that failed says why, in place.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from html import escape

EMOTION_COLOURS = {"happy": "#f4b400", "sad": "#4a7bd0", "angry": "#d9442b", "surprise": "#ff8a3d",
                   "fear": "#8e5bb5", "disgust": "#5e9e45", "neutral": "#9aa3ad", "contempt": "#a0522d"}

CSS = """
:root{--ink:#1d2330;--mute:#6b7383;--line:#e3e6ec;--bg:#f5f6f8;--card:#fff;--accent:#3056d3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header.page{padding:22px 32px 10px}
h1{font-size:22px;margin:0 0 4px}
.sub{color:var(--mute)}
main{padding:0 32px 40px}
table.sum{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;margin:12px 0 22px}
table.sum th,table.sum td{padding:7px 10px;text-align:left;border-bottom:1px solid var(--line);font-size:13px}
table.sum th{color:var(--mute);font-weight:600;background:#fafbfc}
table.sum a{color:var(--accent);text-decoration:none}
section.video{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 22px}
section.video h2{font-size:17px;margin:0;word-break:break-all}
.meta{color:var(--mute);margin:2px 0 12px;font-size:13px}
.err{background:#fdecea;color:#8a1c12;border:1px solid #f5c2bc;border-radius:6px;padding:8px 10px;margin:6px 0;font-size:13px}
.lanes{margin:6px 0 14px}
.lane{display:flex;align-items:center;margin:3px 0}
.lane .name{width:74px;flex:none;color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.track{position:relative;flex:1;height:26px;background:#eef0f4;border-radius:4px;overflow:hidden}
.seg{position:absolute;top:0;bottom:0;border-right:2px solid #fff;color:#fff;font-size:11px;line-height:26px;
 padding:0 5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.axis{position:relative;height:16px;margin-left:74px;font-size:11px;color:var(--mute)}
.axis span{position:absolute;transform:translateX(-50%)}
.thumbs{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 14px}
figure{margin:0;width:150px}
figure img{display:block;height:84px;max-width:150px;border-radius:5px;background:#000;object-fit:cover}
figcaption{font-size:11.5px;color:var(--mute);margin-top:3px}
figcaption b{color:var(--ink);font-weight:600}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:18px}
h3{font-size:13px;margin:6px 0 6px;color:var(--mute);text-transform:uppercase;letter-spacing:.05em}
.bar{display:flex;align-items:center;font-size:12.5px;margin:2px 0}
.bar .l{width:150px;flex:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar .b{height:10px;border-radius:3px;background:var(--accent);margin:0 6px}
.bar .v{color:var(--mute)}
.transcript{max-height:260px;overflow:auto;font-size:13px}
.transcript p{margin:2px 0}
.transcript .t{color:var(--mute);font-variant-numeric:tabular-nums;margin-right:8px}
.none{color:var(--mute);font-style:italic}
footer{color:var(--mute);font-size:12px;padding:0 32px 24px}
"""


def _clock(s: float) -> str:
    m, sec = divmod(max(float(s), 0.0), 60)
    return f"{int(m)}:{sec:04.1f}"


def _hue(label: str) -> str:
    h = int(hashlib.md5(label.encode()).hexdigest()[:4], 16) % 360
    return f"hsl({h},52%,42%)"


def _segment(a: float, b: float, dur: float, colour: str, text: str, tip: str) -> str:
    left = 100 * max(a, 0) / dur
    width = max(100 * (min(b, dur) - a) / dur, 0.4)
    return (f'<div class="seg" style="left:{left:.3f}%;width:{width:.3f}%;background:{colour}" '
            f'title="{escape(tip)}">{escape(text)}</div>')


def _lane(name: str, body: str) -> str:
    return f'<div class="lane"><div class="name">{escape(name)}</div><div class="track">{body}</div></div>'


def _axis(dur: float) -> str:
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 1e9) if dur / s <= 10)
    ticks, t = [], 0.0
    while t <= dur + 1e-9:
        m, sec = divmod(int(round(t)), 60)
        ticks.append(f'<span style="left:{100 * t / dur:.3f}%">{m}:{sec:02d}</span>')
        t += step
    return f'<div class="axis">{"".join(ticks)}</div>'


def _bars(pairs: list[tuple[str, float]], colour=None) -> str:
    if not pairs:
        return '<div class="none">none</div>'
    top = max(v for _, v in pairs) or 1.0
    rows = []
    for label, v in pairs:
        c = colour(label) if colour else "var(--accent)"
        rows.append(f'<div class="bar"><span class="l" title="{escape(label)}">{escape(label)}</span>'
                    f'<span class="b" style="width:{max(2, 140 * v / top):.0f}px;background:{c}"></span>'
                    f'<span class="v">{v:.2f}</span></div>')
    return "".join(rows)


def _error(task: str, rec: dict) -> str:
    e = rec.get("error") or {}
    return f'<div class="err"><b>{escape(task)}</b>: {escape(str(e.get("message", "failed")))}</div>'


def _meta(info: dict) -> str:
    parts = []
    if info.get("duration") is not None:
        parts.append(f"{info['duration']:.1f} s")
    v = info.get("video") or {}
    if v:
        fps = f", {v['fps']:.0f} fps" if v.get("fps") else ""
        parts.append(f"{v.get('width')}×{v.get('height')} {v.get('codec', '')}{fps}")
    a = info.get("audio")
    parts.append(f"audio {a.get('codec')} {a.get('sample_rate')} Hz" if a else "no audio")
    if info.get("size_bytes"):
        parts.append(f"{info['size_bytes'] / 1e6:.1f} MB")
    return " · ".join(escape(p) for p in parts)


def _emo_colour(label: str | None) -> str:
    return EMOTION_COLOURS.get(str(label), "#b7bdc7")


def video_section(rep, anchor: str) -> str:
    import os

    r = rep.results
    info, scene, emo, tr = (r.get(k) or {} for k in ("info", "scene", "emotion", "transcribe"))
    shown = r.get("ocr") or {}
    name = os.path.basename(rep.file)
    out = [f'<section class="video" id="{anchor}"><h2>{escape(name)}</h2>',
           f'<div class="meta">{escape(rep.file)}{"<br>" + _meta(info) if info and "error" not in info else ""}</div>']
    for task, rec in r.items():
        if "error" in rec:
            out.append(_error(task, rec))
    dur = float(info.get("duration") or scene.get("duration") or emo.get("duration") or tr.get("duration") or 0)
    if dur > 0:
        lanes = []
        if scene.get("segments"):
            segs = [_segment(s["start"], s["end"], dur, _hue(s["labels"][0]["label"]) if s.get("labels") else "#888",
                             s["labels"][0]["label"] if s.get("labels") else "",
                             f"{_clock(s['start'])}–{_clock(s['end'])}: " + ", ".join(
                                 f"{x['label']} {x['score']:.2f}" for x in s.get("labels", [])[:3]))
                    for s in scene["segments"]]
            lanes.append(_lane("shots", "".join(segs)))
        if emo.get("segments"):
            segs = [_segment(s["start"], s["end"], dur, _emo_colour((s.get("emotion") or {}).get("label")),
                             (s.get("emotion") or {}).get("label") or "–",
                             f"{_clock(s['start'])}–{_clock(s['end'])}: {(s.get('emotion') or {}).get('label')} "
                             f"{(s.get('emotion') or {}).get('score', 0):.2f}")
                    for s in emo["segments"]]
            lanes.append(_lane("emotion", "".join(segs)))
        if "transcript" in tr:
            segs = [_segment(s["start"], s["end"], dur, "#2f8f83", s.get("text", ""), s.get("text", ""))
                    for s in tr.get("transcript") or []]
            lanes.append(_lane("speech", "".join(segs)))
        if shown.get("lines"):
            lanes.append(_lane("text", "".join(_segment(a, b, dur, "#7a5230", t.replace("\n", " / "), t)
                                               for a, b, t in _text_cues(shown))))
        if lanes:
            out.append(f'<div class="lanes">{"".join(lanes)}{_axis(dur)}</div>')
    if rep.thumbs:
        shots = scene.get("segments") or []
        figs, last = [], None
        for a, b, uri in rep.thumbs:
            mid = (a + b) / 2
            seg = next((s for s in shots if s["start"] <= mid < s["end"]), None)
            new_shot = seg is not None and seg is not last
            last = seg
            lab = f"<b>{escape(seg['labels'][0]['label'])}</b> {seg['labels'][0]['score']:.2f}<br>" \
                if new_shot and seg.get("labels") else ("<span class=none>same shot</span><br>" if seg else "")
            figs.append(f'<figure><img src="{uri}" alt="frame at {_clock((a + b) / 2)}">'
                        f"<figcaption>{lab}{_clock(a)}–{_clock(b)}</figcaption></figure>")
        out.append(f'<div class="thumbs">{"".join(figs)}</div>')
    cols = []
    if scene and "error" not in scene:
        head = "none of these (closest below)" if scene.get("none_of_these") else ""
        cols.append(f"<div><h3>scene</h3>{f'<div class=none>{head}</div>' if head else ''}"
                    f"{_bars([(x['label'], x['score']) for x in scene.get('labels', [])])}</div>")
    if emo and "error" not in emo:
        e = emo.get("emotion") or {}
        scores = sorted((e.get("scores") or {}).items(), key=lambda kv: -kv[1])
        label = e.get("label") or "no evidence"
        cols.append(f"<div><h3>emotion</h3><div><b style='color:{_emo_colour(e.get('label'))}'>{escape(label)}"
                    f"</b> <span class='v'>from {escape(str(e.get('evidence', '')))}</span></div>"
                    f"{_bars(scores, _emo_colour)}</div>")
    if tr and "error" not in tr:
        several = len(tr.get("languages") or []) > 1  # then each line says its language
        lines = [f'<p><span class="t">{_clock(s["start"])}{" " + escape(str(s.get("language"))) if several else ""}'
                 f'</span>{escape(s.get("text", ""))}</p>' for s in tr.get("transcript") or []]
        lang = f" · {escape(str(tr.get('language')))}" if tr.get("language") else ""
        cols.append(f"<div><h3>transcript{lang}</h3><div class='transcript'>"
                    f"{''.join(lines) or '<div class=none>no speech</div>'}</div></div>")
    if shown and "error" not in shown:
        rows = [f'<p><span class="t">{_clock(a)}</span>{escape(t).replace(chr(10), " / ")}</p>'
                for a, _, t in _text_cues(shown)]
        cols.append(f"<div><h3>text shown</h3><div class='transcript'>"
                    f"{''.join(rows) or '<div class=none>no text found</div>'}</div></div>")
    if cols:
        out.append(f'<div class="cols">{"".join(cols)}</div>')
    out.append("</section>")
    return "".join(out)


def _text_cues(rec: dict) -> list[tuple[float, float, str]]:
    """The ocr record's lines as (start, end, text) stretches that do not overlap: the lines shown at the
    same time joined by newlines (a title and its second line, wiped in a moment apart, are one stretch)."""
    from ..tasks.registry import get_task

    out: list[tuple[float, float, str]] = []
    for a, b, t in sorted(get_task("ocr").cues(rec)):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b), out[-1][2] + "\n" + t)
        else:
            out.append((a, b, t))
    return out


def _summary_row(rep, anchor: str) -> str:
    import os

    r = rep.results
    info, scene, emo, tr = (r.get(k) or {} for k in ("info", "scene", "emotion", "transcribe"))
    failed = [t for t, x in r.items() if "error" in x]
    top = scene.get("labels", [{}])[0].get("label", "") if scene.get("labels") else ""
    e = (emo.get("emotion") or {}).get("label") or ""
    speech = "" if not tr or "error" in tr else ("yes" if tr.get("transcript") else "no")
    dur = f"{info['duration']:.1f} s" if info.get("duration") else ""
    status = f'<span style="color:#b3261e">failed: {escape(", ".join(failed))}</span>' if failed else "ok"
    return (f'<tr><td><a href="#{anchor}">{escape(os.path.basename(rep.file))}</a></td><td>{dur}</td>'
            f"<td>{escape(top)}</td><td>{escape(e)}</td><td>{speech}</td><td>{status}</td></tr>")


def render_report(reports: list, title: str = "vidmm report") -> str:
    from .. import __version__

    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    anchors = [f"v{i}" for i in range(len(reports))]
    rows = "".join(_summary_row(r, a) for r, a in zip(reports, anchors))
    body = "".join(video_section(r, a) for r, a in zip(reports, anchors))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f'<header class="page"><h1>{escape(title)}</h1><div class="sub">{len(reports)} video(s) · '
        f"generated {when} · vidmm {escape(__version__)}</div></header><main>"
        '<table class="sum"><tr><th>video</th><th>length</th><th>scene</th><th>emotion</th><th>speech</th>'
        f"<th>status</th></tr>{rows}</table>{body}</main>"
        "<footer>Self-contained: thumbnails are inlined, nothing is loaded from the network.</footer>"
        "</body></html>\n"
    )
