"""Workspace retrieval: how this app finishes lines that start like the cursor's.

Every line of the app is kept (stripped) with an inverted index of its words. For the cursor's line we
find the other lines holding the last word typed, line them up at that word and read on to their end:
each continuation is weighted by how much of the cursor's line it shares (right to left: the same
stripped line start counts most), and by proximity — the same file (the open buffer, never the disk
copy), then sibling files of the same resource, the same kind of file, anything else, curated examples.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hotwire_assist.server.engine.cursor import Candidate, Cursor, kind_of

MAX_LINE = 400  # longer lines (minified code, data) are not worth matching
MAX_POSTINGS = 6000  # a word this common is narrowed by the word before it
_WORD = re.compile(r"(?<![\w$])[A-Za-z_@$][\w$-]*")  # a word starts a token: `nd` in `2nd` is none
PROXIMITY = {"file": 2.5, "group": 0.7, "folder": 0.55, "kind": 0.35, "other": 0.2, "curated": 0.12}


def group_of(rel: str) -> str:
    """The resource a file belongs to: `cards/comments` for its controller, views, model and helper."""
    p = rel.replace("\\", "/")
    if m := re.search(r"app/views/(.+)/[^/]+$", p):
        return m.group(1)
    if m := re.search(r"app/controllers/(.+)_controller\.rb$", p):
        return m.group(1)
    if m := re.search(r"app/helpers/(.+)_helper\.rb$", p):
        return m.group(1)
    if m := re.search(r"app/models/(.+)\.rb$", p):
        from hotwire_assist.core.appindex import pluralize

        return pluralize(m.group(1))
    if m := re.search(r"controllers/(.+?)[_-]controller\.(?:js|ts|mjs)$", p):
        return "stimulus:" + m.group(1)
    return str(Path(p).parent)


@dataclass
class _File:
    rel: str
    kind: str
    group: str
    folder: str
    lines: list[str]
    curated: bool = False


class LineStore:
    """The app's lines, refreshed per file (`set_file`); thread-safe for one writer and many readers."""

    def __init__(self) -> None:
        self._files: dict[str, _File] = {}
        self._ids: dict[str, int] = {}
        self._by_id: list[_File | None] = []
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._stale: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._sources: dict[str, object] = {}  # rel -> what the text was read from (the index's facts)
        self._vocabulary: list[str] = []  # every word ever seen, sorted (prefix lookups; stale ones harmless)
        self._line_counts: Counter[str] = Counter()  # how many of the app's lines read exactly so

    def __len__(self) -> int:
        return len(self._files)

    def set_file(self, rel: str, text: str | None, *, curated: bool = False) -> None:
        """(Re)index one file's lines; None removes it."""
        with self._lock:
            old = self._files.pop(rel, None)
            if old is not None:
                self._by_id[self._ids[rel]] = None
                self._stale["all"] += len(old.lines)
                if not old.curated:
                    self._line_counts.subtract(old.lines)
            if text is None:
                return
            lines = [s if len(s := line.strip()) <= MAX_LINE else "" for line in text.split("\n")]
            f = _File(rel, kind_of(rel), group_of(rel), str(Path(rel).parent), lines, curated)
            fid = len(self._by_id)
            self._by_id.append(f)
            self._ids[rel] = fid
            self._files[rel] = f
            if not curated:
                self._line_counts.update(lines)
            for n, line in enumerate(lines):
                for w in set(_WORD.findall(line)):
                    if w not in self._postings:
                        bisect.insort(self._vocabulary, w)
                    self._postings[w].append((fid, n))
            if self._stale["all"] > 200_000:
                self._compact()

    def _compact(self) -> None:
        """Drop postings of replaced files (kept until then so readers never see a half-built list)."""
        live = {i for i, f in enumerate(self._by_id) if f is not None}
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for w, ps in self._postings.items():
            kept = [p for p in ps if p[0] in live]
            if kept:
                postings[w] = kept
        self._postings = postings
        self._vocabulary = sorted(postings)
        self._stale.clear()

    def sync(self, files: dict[str, object], read: Callable[[str], str | None], rel: Callable[[str], str]) -> int:
        """Bring the store in line with the app index's files (path -> facts): a file whose facts object
        changed is re-read through `read`; returns how many files were read."""
        n = 0
        for path, facts in list(files.items()):
            if self._sources.get(path) is facts:
                continue
            self._sources[path] = facts
            self.set_file(rel(path), read(path))
            n += 1
        for path in [p for p in self._sources if p not in files]:
            del self._sources[path]
            self.set_file(rel(path), None)
        return n

    def lines_with(self, word: str) -> list[tuple[_File, int]]:
        with self._lock:
            ps = list(self._postings.get(word, ()))
            by_id = self._by_id
        return [(f, n) for fid, n in ps if (f := by_id[fid]) is not None]

    def lines_with_prefix(self, start: str, max_words: int = 64) -> list[tuple[_File, int]]:
        """Lines holding a word that starts with `start` (the word being typed: `broadcasts` finds
        `broadcasts_refreshes`)."""
        vocab = self._vocabulary
        i = bisect.bisect_left(vocab, start)
        words = []
        while i < len(vocab) and vocab[i].startswith(start) and len(words) < max_words:
            words.append(vocab[i])
            i += 1
        seen: set[tuple[int, int]] = set()
        out = []
        for w in words:
            for f, n in self.lines_with(w):
                if (id(f), n) not in seen:
                    seen.add((id(f), n))
                    out.append((f, n))
        return out

    def line_count(self, line: str) -> int:
        """How many lines of the app (not the curated examples) read `line`, stripped."""
        return self._line_counts.get(line, 0)

    def knows(self, word: str) -> bool:
        """Whether some line of the app or of the curated examples holds `word` (or once did)."""
        vocab = self._vocabulary
        i = bisect.bisect_left(vocab, word)
        return i < len(vocab) and vocab[i] == word

    def file(self, rel: str) -> _File | None:
        return self._files.get(rel)


def _proximity(me: _File | None, rel: str, other: _File) -> float:
    if other.curated:
        return PROXIMITY["curated"]
    if me is None:
        me = _File(rel, kind_of(rel), group_of(rel), str(Path(rel).parent), [])
    if other.group == me.group:
        return PROXIMITY["group"]
    if other.folder == me.folder:
        return PROXIMITY["folder"]
    if other.kind == me.kind:
        return PROXIMITY["kind"]
    return PROXIMITY["other"]


def _common_tail(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass
class _Vote:
    text: str
    weight: float = 0.0
    count: int = 0
    full: int = 0  # occurrences that share the cursor's whole stripped line start
    clone: int = 0  # the most telling neighbour lines one such occurrence shares with the cursor's line


_LITERAL = re.compile(r'"[^"\n]*"|\'[^\'\n]*\'')
NEIGHBOURS = (-2, -1, 1, 2)

Neighbour = Callable[[int], str | None]  # offset -> the stripped line that far from a line (None off the file)


def _lines_around(lines: list[str], n: int) -> Neighbour:
    return lambda d: lines[n + d] if 0 <= n + d < len(lines) else None


def adapt(text: str, theirs: Neighbour | None, ours: Neighbour) -> str:
    """Carry a line's string literals over to the cursor's neighbourhood: where a literal of `text` also
    stands in a line near its source (`flash.now[:notice] = "Todo updated."` above `notice: "Todo updated."`),
    use the literal in the same place near the cursor (`notice: "Todo added."` gives "Todo added.")."""
    if theirs is None or not _LITERAL.search(text):
        return text
    for lit in dict.fromkeys(_LITERAL.findall(text)):
        for d in NEIGHBOURS:
            near = theirs(d)
            if near is None or lit not in (found := _LITERAL.findall(near)):
                continue
            slot = found.index(lit)
            mine = ours(d)
            mine_lits = list(_LITERAL.finditer(mine)) if mine is not None else []
            if len(mine_lits) <= slot:
                continue
            # the same place: what precedes the literal on both lines reads the same (literals blanked)
            head_near = _LITERAL.sub('""', near[: list(_LITERAL.finditer(near))[slot].start()])
            head_mine = _LITERAL.sub('""', mine[: mine_lits[slot].start()])
            if head_near == head_mine:
                text = text.replace(lit, mine_lits[slot].group(0))
                break
    return text


def continuations(
    cursor: Cursor,
    lines: Iterable[tuple[str, float] | tuple[str, float, Neighbour]],
    anchor: str,
    lp: str,
    common: Callable[[str], int] = lambda _s: 0,
) -> dict[str, _Vote]:
    """Votes for the rest of the cursor's line from (line, proximity[, its neighbours]) holding `anchor`."""
    votes: dict[str, _Vote] = {}
    line_suffix = cursor.line_suffix.strip()
    for line, prox, *around in lines:
        j = line.find(anchor)
        if j < 0:
            continue
        end = j + len(anchor)
        rest = line[end:]
        if line_suffix:  # mid-line: the continuation must end where the line's own text begins
            k = rest.find(line_suffix)
            if k < 0:
                continue
            rest = rest[:k]
        text = rest.rstrip()
        if not text.strip():
            continue
        text = adapt(text, around[0] if around else None, cursor.neighbour)
        shared = _common_tail(lp, line[:end])
        full = shared >= len(lp) and (shared == end)
        weight = prox * (shared / len(lp)) ** 1.5 * (4.0 if full else 1.0)
        v = votes.setdefault(text, _Vote(text))
        v.weight += weight
        v.count += 1
        v.full += int(full)
        if full and around:
            v.clone = max(v.clone, shared_neighbours(around[0], cursor.neighbour, common))
    return votes


# Lines too common to tell one place from another (block ends, blank lines, a lone `else`).
_TRIVIAL = re.compile(r"(?:<%-?\s*(?:end|else)\s*-?%>|end|else|[{}()\[\];,]*|</[\w-]+>|<[\w-]+>|\*/|/\*\*?|#|//)")


RARE_LINE = 4  # a neighbour line written more often than this in the app tells no place apart


def shared_neighbours(theirs: Neighbour, ours: Neighbour, common: Callable[[str], int] = lambda _s: 0) -> int:
    """How many of the two lines above and below a line are, word for word, the same around the cursor
    (blank lines, block ends and lines the app writes everywhere aside): three or four mean a copy of this
    place (a `create` template beside its `destroy` twin), whose line goes on as this one does 6 times in 7
    on real apps."""
    n = 0
    for d in NEIGHBOURS:
        a = ours(d)
        if a is not None and a == theirs(d) and not _TRIVIAL.fullmatch(a) and common(a) <= RARE_LINE:
            n += 1
    return n


_IVAR = re.compile(r"@\w+")
_INCLUDE = re.compile(r"^\s*include\s+([A-Z]\w*(?:::[A-Z]\w*)*)")


def view_ivars(store: LineStore, cursor: Cursor) -> set[str] | None:
    """The instance variables a view can read: those its controller (`app/views/cards/steps/x` ->
    `cards/steps_controller.rb`) and the concerns it includes assign or read, and those the view's other
    lines use. None where that is unknown (no view, or no controller file for its folder)."""
    from hotwire_assist.core.appindex import underscore, view_name

    view = view_name(cursor.path)
    if cursor.kind != "erb" or view is None or "/" not in view:
        return None
    ctrl = store.file(f"app/controllers/{view.rpartition('/')[0]}_controller.rb")
    if ctrl is None:
        return None
    files = [ctrl]
    for line in ctrl.lines:
        if m := _INCLUDE.match(line):
            parts = m.group(1).split("::")
            for rel in (
                f"app/controllers/concerns/{'/'.join(underscore(x) for x in parts)}.rb",
                f"app/controllers/{'/'.join(underscore(x) for x in parts)}.rb",
            ):
                if (f := store.file(rel)) is not None:
                    files.append(f)
    known = {m.group(0) for f in files for line in f.lines for m in _IVAR.finditer(line)}
    return known | {m.group(0) for line in cursor.other_lines for m in _IVAR.finditer(line)}


def _own_ivar(ivar: str, ivars: set[str], store: LineStore) -> str:
    """The view's own instance variable in the place of another view's: `@right_column` in the left
    positions template, whose controller sets `@left_column` (the one ivar of the view named alike, by
    the last part of its name), else `ivar` as it is."""
    if ivar in ivars or "_" not in ivar or not _assigned(store, ivar):
        return ivar
    tail = "_" + ivar.rpartition("_")[2]
    alike = [x for x in ivars if x.endswith(tail)]
    return alike[0] if len(alike) == 1 else ivar


def _assigned(store: LineStore, ivar: str) -> bool:
    """Whether the app's own code assigns `ivar` somewhere (`@page` set by a pagination gem's helper is
    assigned nowhere in the app: a view may read it without its controller showing it)."""
    set_ = re.compile(rf"{re.escape(ivar)}\s*(?:\|\|)?=(?![=~>])")
    return any(not f.curated and set_.search(f.lines[n]) for f, n in store.lines_with(ivar))


def retrieve(store: LineStore, cursor: Cursor, limit: int = 5) -> list[Candidate]:
    """Continuations of the cursor's line, best first, scored 0..1 by their share of the evidence."""
    lp = cursor.line_prefix.lstrip()
    words = list(_WORD.finditer(lp))
    if not words or len(lp) < 3:
        return []
    last = words[-1]
    anchor = lp[last.start() :]
    typing_word = last.end() == len(lp)  # the cursor is right after a word: it may go on
    found = store.lines_with_prefix(last.group(0)) if typing_word else store.lines_with(last.group(0))
    if len(found) > MAX_POSTINGS and len(words) > 1:
        before = {(id(f), n) for f, n in store.lines_with(words[-2].group(0))}
        found = [(f, n) for f, n in found if (id(f), n) in before]
    me = store.file(cursor.path)
    pairs: list[tuple[str, float, Neighbour]] = []
    curated: list[tuple[str, float]] = []
    for f, n in found[: MAX_POSTINGS * 2]:
        if f.rel == cursor.path:
            continue  # the disk copy of the cursor's file: its buffer is read below instead
        if f.curated:
            curated.append((f.lines[n], _proximity(me, cursor.path, f)))
        else:
            pairs.append((f.lines[n], _proximity(me, cursor.path, f), _lines_around(f.lines, n)))
    buffer = cursor.stripped_lines
    word = last.group(0)
    for k, s in enumerate(buffer):  # the open buffer, minus the cursor's line
        if k != cursor.line_no and word in s:
            pairs.append((s, PROXIMITY["file"], _lines_around(buffer, k)))
    votes = continuations(cursor, pairs, anchor, lp, store.line_count)
    if not any(v.full for v in votes.values()):  # curated idioms only where the app has no line like it
        for text, v in continuations(cursor, curated, anchor, lp).items():
            have = votes.setdefault(text, _Vote(text))
            have.weight += v.weight
            have.count += v.count  # not `full`: a curated line is no evidence of how this app goes on
    if not votes:
        return []
    # A long line is rarely written twice in one view: the same template's other lines are its siblings
    # (the other stream actions of a template), not the answer. A controller's actions, though, often
    # respond alike (`format.turbo_stream { render_pin_button_replacement }` in create and destroy).
    own = {s.strip() for s in cursor.other_lines if len(s.strip()) > 40} if cursor.kind == "erb" else set()
    for v in votes.values():
        if (lp + v.text).strip() in own:
            v.weight *= 0.3
    # A view reads the instance variables its controller sets: another view's line on `@filter` is no way
    # on in a template whose controller never sets `@filter` (it would raise or render nothing).
    ivars = view_ivars(store, cursor)
    if ivars is not None:
        for v in votes.values():
            v.text = _IVAR.sub(lambda m: _own_ivar(m.group(0), ivars, store), v.text)
    foreign = {
        v.text
        for v in votes.values()
        if ivars is not None and any(x not in ivars and _assigned(store, x) for x in _IVAR.findall(v.text))
    }
    for v in votes.values():
        if v.text in foreign:
            v.weight *= 0.2
            v.clone = 0
    total = sum(v.weight for v in votes.values())
    full_total = sum(v.full for v in votes.values())
    top_clone = max(v.clone for v in votes.values())
    if sum(v.clone == top_clone for v in votes.values()) > 1:  # several places alike go on differently
        for v in votes.values():
            v.clone = 0
    best = sorted(votes.values(), key=lambda v: (-v.weight, -v.count, v.text))[:limit]
    best += sorted((v for v in votes.values() if v.clone >= 2 and v not in best), key=lambda v: -v.clone)[:2]
    # the fallback: the best-backed way on after this very line start (proximity counts: the same file's
    # way comes before a commoner one elsewhere), else the commonest
    plural = (
        best[0]
        if best[0].full and best[0].text not in foreign
        else max(
            (v for v in votes.values() if v.full),
            key=lambda v: (v.text not in foreign, v.full, v.weight),
            default=None,
        )
    )
    if plural is not None and plural not in best:
        best.append(plural)
    lead = cursor.line_prefix[-1:] if cursor.line_prefix else ""
    out = []
    for v in best:
        text = v.text
        if lead.isspace() and text.startswith(" "):
            text = text.lstrip(" ")  # the cursor already stands after the space
        share = v.weight / total
        # backing: one line agreeing is weak evidence however alone it is; a full-start line of a sibling
        # file counts one, a line of another kind of file or a partial match less
        backing = v.weight / (4 * PROXIMITY["group"])
        score = share * min(1.0, 0.15 + 0.45 * backing**0.5)
        reason = f"{v.count} line(s) continue this way, {v.full} with the same start"
        if v.clone >= 3:
            score = max(score, CLONE_SCORE)
            reason += f", one of them in a place like this one ({v.clone} neighbour lines alike)"
        elif v.clone == 2:
            score = max(score, NEAR_CLONE_SCORE)
            reason += ", one of them with 2 neighbour lines alike"
        if v is plural:
            # the app's most common way on after this very line start: shown where nothing better is (the
            # app's own line, not a guess), never enough alone to keep the model from being asked
            score = max(score, FALLBACK_SCORE)
        if v.full and 2 * v.full > full_total and v.text not in foreign:
            # Most of the app's lines that start exactly like this one go on this way: on real apps that
            # rest is the line's own 3 times in 4 (a minority answer, 1 in 10). A lone such line is weaker.
            score = max(score, MAJORITY_SCORE if v.full >= 2 else LONE_SCORE)
            reason += f" (most of the {full_total} with the same start)"
        out.append(Candidate(text, "retrieval", round(score, 4), reason))
    return out


MAJORITY_SCORE = 0.75  # most (and at least two) of the lines with the cursor's stripped start go on this way
CLONE_SCORE = 0.8  # a line with the cursor's start whose neighbours (3 or 4 of the 4) are the cursor's
NEAR_CLONE_SCORE = 0.4  # …2 of the 4 alike: right about a third of the time, better than nothing
FALLBACK_SCORE = 0.28  # the most common of several ways on: above the embedded model's text, below THRESHOLD
LONE_SCORE = 0.45  # one other line of the app starts like the cursor's (or most of them: one of them)


CODE_SUFFIXES = (".erb", ".rb", ".js", ".ts", ".mjs", ".rake", ".jbuilder")


def add_curated(store: LineStore, folders: Iterable[Path]) -> int:
    """Lines of the curated examples (`*.jsonl`) and source trees (the starter corpus) the project ships:
    the weakest evidence, for idioms an app has not written yet. Returns how many files were added."""
    from hotwire_assist.core.context import example_text
    from hotwire_assist.core.schemas import read_examples

    n = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*")):
            if p.suffix == ".jsonl":
                for k, ex in enumerate(read_examples(p, skip_bad=True, problems=[])):
                    path, text = example_text(ex)
                    if text:
                        store.set_file(f"curated:{p.stem}/{k}/{path}", text, curated=True)
                        n += 1
            elif p.name.endswith(CODE_SUFFIXES) and p.is_file():
                rel = p.relative_to(folder).as_posix()
                store.set_file(f"curated:{rel}", p.read_text(encoding="utf-8", errors="replace"), curated=True)
                n += 1
    return n
