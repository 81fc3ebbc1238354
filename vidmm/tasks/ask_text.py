"""Questions answered from the text a file shows (vidmm.tasks.shown_text: the lines ``vidmm ocr`` reads).

* "what does the sign / screen / title say?", "what is written on it?", "what text is shown?": the
  prominent lines (the largest type), in reading order;
* a question whose own words a line holds ("what is the name of the movie project?", "what is the total on
  the receipt?"): that line, with the value on its row when there is one ("Total 128.27");
* "what is the website / date / phone number / price?": the line that looks like one (``KINDS``);
* "what is the name of the street?", "what is the title?": the most prominent line;
* "does the sign say SALE?", "is 'PRESENTS' written anywhere?": yes when a line holds the phrase (case,
  spaces and small misreadings forgiven: vidmm.text_lines.match); "is there any text?": whether any is shown;
* "when is 'PRESENTS' shown?": the span of the line that holds it; "when does the title appear?": the
  span of the prominent lines.

When the text cannot answer (no text shown and the question is about a name or a thing that need not be
written, "is there a stop sign?"; a phrase that no line holds, asked "when"), the question goes to the
handler it would have had without the text route, so asking about text never makes an answer worse.
"""

from __future__ import annotations

import re

from ..text_lines import SIMILAR, match, norm
from .ask_answer import Answer, Candidate, Evidence, Question
from .ask_route import NAME, PEOPLE, QUOTED, YESNO, route
from .phrasing import STOPWORDS

#: Lines an answer to "what does it say?" quotes at most.
ANSWER_LINES = 6
#: Confidence of "no text is shown" (the detector may miss text that is small, blurred or stylised).
NO_TEXT_CONFIDENCE = 0.6
#: Words of a question about text that say nothing about which text.
_TEXT_WORDS = frozenset("""written writing write writes printed spelt spelled spell spells lettering text texts read
    reads sign signs signboard billboard banner poster label caption captions subtitle subtitles title titles
    headline screen slide slides placard plate logo receipt menu document ticket page name names called say says said saying show shows shown
    appear appears appearing display displayed displays visible there any anything anywhere word words what
    which where when does do did is are was were it this that on in of the a an video clip image photo
    picture frame""".split()) | STOPWORDS
#: Kinds of written thing a question may name, and what a line of that kind looks like.
KINDS = (
    (re.compile(r"\b(website|web site|web address|url|site|homepage)\b"),
     re.compile(r"(?i)\b(www\.|https?:|[a-z0-9-]+\.(com|org|net|edu|gov|io|co|cn|uk|de)\b)")),
    (re.compile(r"\b(e-?mail|email address)\b"), re.compile(r"\S+@\S+\.\w+")),
    (re.compile(r"\b(phone|telephone|phone number|tel)\b"), re.compile(r"\+?\d[\d\s().-]{6,}\d")),
    (re.compile(r"\b(date|day)\b"), re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")),
    (re.compile(r"\b(time|clock)\b"), re.compile(r"\b\d{1,2}:\d{2}\b")),
    (re.compile(r"\b(price|prices|cost|costs|total|amount|sum)\b"), re.compile(r"[$€£¥]\s?\d|\b\d+[.,]\d{2}\b")),
)
#: "is there any text / writing / are there subtitles?": asked whether text is shown at all.
_ANY_TEXT = re.compile(r"\b(text|texts|writing|written|words|lettering|captions?|subtitles?|titles?)\b")


def _phrase(q: Question) -> str:
    """The text a question asks after: a quotation ("does it say 'SALE'?"), else the words after say / read /
    spell / written (""does the sign say sale" -> "sale"), else ""."""
    quoted = QUOTED.findall(q.text)
    if quoted:
        return max(quoted, key=len)
    m = re.search(r"\b(say|says|said|saying|read|reads|spell|spells|written|write|writes|printed|show|shows)\b"
                  r"\s+(?:the\s+words?\s+)?(.+)$", q.clean)
    if not m:
        return ""
    return " ".join(w for w in m.group(2).split() if w not in ("anywhere", "somewhere", "there", "on", "screen"))


def _topic(q: Question) -> str:
    """The question's own words, without the words of asking about text ("what is the name of the movie
    project?" -> "movie project")."""
    return " ".join(w for w in re.findall(r"[\w'’]+", q.clean) if w not in _TEXT_WORDS)


def answer_text(q: Question, when: bool = False) -> Answer:
    """See the module doc."""
    if not q.has_pictures:
        from .ask_audio import no_pictures

        return no_pictures(q)
    from . import shown_text

    shown = shown_text.lines(q.extractor, q.path, q.model("ocr"))
    yesno = bool(YESNO.search(q.clean))
    if when or yesno:
        phrase = _phrase(q) if yesno else (_phrase(q) or _topic(q))
        if phrase:
            scored = sorted(((match(phrase, x.text), x) for x in shown), key=lambda p: -p[0])
            best, line = scored[0] if scored else (0.0, None)
            found = line is not None and best >= SIMILAR
            if when:
                if not found:
                    return _hand_on(q, when=True)
                return Answer(f"from {line.start:.1f} s to {line.end:.1f} s", best * line.score, target=phrase,
                              evidence=Evidence(line.start, line.end, [line.start], line.text),
                              candidates=[Candidate(x.text, s) for s, x in scored[:5]])
            evidence = Evidence(line.start, line.end, [line.start], line.text) if found else None
            return Answer("yes" if found else "no", best * line.score if found else max(1.0 - best, 0.5),
                          target=phrase, evidence=evidence,
                          candidates=[Candidate(x.text, s) for s, x in scored[:5]])
        if yesno and _ANY_TEXT.search(q.clean):
            return _any_text(shown)
        top = shown_text.prominent(shown) if when else []
        if not top:
            return _hand_on(q, when=when)
        a, b = min(x.start for x in top), max(x.end for x in top)
        return Answer(f"from {a:.1f} s to {b:.1f} s", min(x.score for x in top),
                      evidence=Evidence(a, b, sorted({x.start for x in top}), shown_text.quote(top)))
    if not shown:
        if NAME.search(q.clean) and not _asks_about_writing(q):
            return _hand_on(q)
        return Answer("no text is shown", NO_TEXT_CONFIDENCE, notes=[_no_text_note()])
    topic = _topic(q)
    named = sorted(((match(topic, x.text), x) for x in shown),  # the closest in length among equals:
                   key=lambda p: (-p[0], abs(len(norm(p[1].text)) - len(norm(topic))))) if topic else []
    kind = next((looks for asks, looks in KINDS if asks.search(q.clean)), None)
    of_kind = [x for x in shown if kind is not None and kind.search(x.text)]
    hit = named[0][1] if named and named[0][0] >= SIMILAR else None
    if hit is not None:  # the line holding the question's words, and the value on its row: "Total 128.27"
        bare = len(norm(hit.text)) <= len(norm(topic)) + 2  # "Total" alone, not "Cashier: Eric H"
        value = _beside(hit, of_kind or shown) if bare else None
        use = [hit] if value is None else [hit, value]
    elif of_kind:  # "what is the website?": the line that looks like one
        use = of_kind[:1] if NAME.search(q.clean) else of_kind[:shown_text.QUOTE_LINES]
    elif NAME.search(q.clean) or re.search(r"\btitles?\b", q.clean):
        use = (shown_text.prominent(shown) or sorted(shown, key=lambda x: -x.score))[:1]
    else:
        use = shown_text.prominent(shown, limit=ANSWER_LINES) or sorted(shown, key=lambda x: -x.score)[:ANSWER_LINES]
    answer = shown_text.quote(use, max_words=40)
    others = [x for x in shown if x not in use]
    return Answer(answer, min(x.score for x in use), target=topic or None,
                  evidence=Evidence(min(x.start for x in use), max(x.end for x in use),
                                    sorted({x.start for x in use}), answer),
                  candidates=[Candidate(answer, 1.0)] + [Candidate(x.text, x.score) for x in others[:4]])


def _beside(label, lines):
    """The nearest of ``lines`` right of ``label`` on its row (boxes overlapping by half the shorter height),
    shown at the same time: the value a label names ("Total" ... "128.27")."""
    x, y, w, h = label.box
    row = [ln for ln in lines if ln is not label and ln.box[0] >= x + w * 0.5 and ln.start <= label.end
           and ln.end >= label.start and ln.box[3] <= 2 * h
           and min(y + h, ln.box[1] + ln.box[3]) - max(y, ln.box[1]) >= 0.5 * min(h, ln.box[3])]
    return min(row, key=lambda ln: ln.box[0]) if row else None


def _asks_about_writing(q: Question) -> bool:
    """A name question that is about something written ("the name on the sign"), not a person's or a place's."""
    return bool(re.search(r"\b(sign|signs|screen|label|title|poster|banner|written|text|plate|logo)\b", q.clean)) \
        and not PEOPLE.search(q.clean)


def _any_text(shown) -> Answer:
    if not shown:
        return Answer("no", NO_TEXT_CONFIDENCE, notes=[_no_text_note()])
    first = shown[0]
    return Answer("yes", max(x.score for x in shown), evidence=Evidence(first.start, first.end, [first.start],
                                                                         first.text),
                  candidates=[Candidate(x.text, x.score) for x in shown[:5]])


def _no_text_note() -> str:
    return ("the OCR model found no text it could read (it reads Chinese and English characters; text that is "
            "tiny, blurred or in another script is missed)")


def _hand_on(q: Question, when: bool = False) -> Answer:
    """The answer of the handler the question would have had without the text route (for "when": the
    moment the thing is seen)."""
    from .ask import HANDLERS
    from .ask_visual import answer_when_seen

    q.type = "time" if when else route(q.text, skip=("text",))
    out = answer_when_seen(q) if when else HANDLERS[q.type](q)
    out.notes.append(f"no on-screen text answers this; answered as a {q.type} question")
    return out
