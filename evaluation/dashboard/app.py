"""The dashboard's web app (starlette): routes read the request, call the pure modules, render a template.

Pages work without JavaScript (plain forms and inline SVG); every figure is also served as JSON under /api.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from hotwire_assist.evaluation.dashboard import charts
from hotwire_assist.evaluation.dashboard.insights import TelemetryData, compute_insights
from hotwire_assist.evaluation.dashboard.pairs import Pair, Pairing
from hotwire_assist.evaluation.dashboard.summary import export_reviews, summarize
from hotwire_assist.evaluation.dashboard.votes import QUESTIONS, AlreadyReviewed, VoteStore

REVIEWER_COOKIE = "hotwire_reviewer"
TOKEN_COOKIE = "hotwire_token"
_REVIEWER = re.compile(r"^[\w .@+-]{1,64}$")
_FORMATTER = HtmlFormatter(nowrap=False, cssclass="code")
_templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass
class DashboardState:
    pairing: Pairing | None  # None: started without --runs
    votes: VoteStore | None
    telemetry: TelemetryData
    token: str | None = None  # required on every request when serving beyond loopback

    @cached_property
    def insights(self) -> dict[str, Any]:
        """Telemetry is loaded once at start, so its figures (rules-engine runs included) are computed once."""
        return compute_insights(self.telemetry)

    @cached_property
    def insight_charts(self) -> dict[str, Markup]:
        return _insight_charts(self.insights)


def code_html(path: str, text: str) -> Markup:
    """Server-side syntax highlighting by file name (ERB, Ruby, JS…); plain text when the type is unknown."""
    try:
        # Pygments maps no file name to ERB (only *.rhtml), so Rails templates are named here
        lexer = (
            get_lexer_by_name("rhtml", stripnl=False)
            if path.endswith(".erb")
            else get_lexer_for_filename(path, stripnl=False)
        )
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    return Markup(highlight(text, lexer, _FORMATTER))  # Pygments escapes the code it formats


def _outputs(pair: Pair, left: str) -> list[dict[str, Any]]:
    """The two outputs as shown: left first, each with its hidden run letter and highlighted files."""
    sides = []
    for side, run in (("left", left), ("right", "B" if left == "A" else "A")):
        s = pair.a if run == "A" else pair.b
        files = [{"path": f.path, "html": code_html(f.path, f.content)} for f in s.files]
        if s.task_kind == "fim":
            files = [{"path": s.prompt or "completion", "html": code_html(s.prompt or "x.txt", s.completion)}]
        sides.append({"side": side, "files": files, "findings": s.findings, "total": s.total})
    return sides


HOLE_TOKEN = "__HOTWIRE_ASSIST_HOLE__"  # one identifier to every lexer, swapped for a marker after highlighting


def _context(pair: Pair) -> dict[str, Any] | None:
    """A FIM pair's surrounding code with the hole marked, so both answers are judged where they go."""
    c = pair.context
    if c is None:
        return None
    html = code_html(c.path, c.before + HOLE_TOKEN + c.after)
    marked = str(html).replace(HOLE_TOKEN, '<mark class="hole">the answer goes here</mark>')  # code escaped
    return {"path": c.path, "html": Markup(marked)}


def _reviewer(request: Request) -> str | None:
    name = request.cookies.get(REVIEWER_COOKIE, "")
    return name if _REVIEWER.match(name) else None


async def _form(request: Request) -> dict[str, str]:
    """URL-encoded form fields (first value each), without needing python-multipart."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return _templates.TemplateResponse(request, name, context, status_code=status)


def _message(request: Request, title: str, text: str, status: int = 200) -> Response:
    return _page(request, "message.html", status, title=title, text=text)


def _state(request: Request) -> DashboardState:
    return request.app.state.dashboard


# --- pages ------------------------------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    st = _state(request)
    return _page(request, "home.html", pairing=st.pairing, telemetry=st.telemetry, reviewer=_reviewer(request))


async def reviewer_form(request: Request) -> Response:
    return _page(request, "reviewer.html", error=None)


async def set_reviewer(request: Request) -> Response:
    name = (await _form(request)).get("reviewer", "").strip()
    if not _REVIEWER.match(name):
        return _page(request, "reviewer.html", 400, error="Use 1–64 letters, digits, spaces or . @ + - _")
    response = RedirectResponse("/review", status_code=303)
    response.set_cookie(REVIEWER_COOKIE, name, max_age=365 * 86400, httponly=True, samesite="strict")
    return response


async def review(request: Request) -> Response:
    st = _state(request)
    if st.pairing is None or st.votes is None:
        return _message(request, "No runs", "Start the dashboard with --runs RUN_A RUN_B to review two runs.")
    reviewer = _reviewer(request)
    if reviewer is None:
        return RedirectResponse("/reviewer", status_code=303)
    if not st.pairing.pairs:
        return _message(
            request, "Nothing to review", "The runs share no task with output: " + "; ".join(st.pairing.problems)
        )
    comparison = st.pairing.comparison
    done = st.votes.reviewed(comparison, reviewer)
    pair_id = st.votes.next_pair(comparison, reviewer, [p.id for p in st.pairing.pairs])
    if pair_id is None:
        return _page(request, "review_done.html", reviewer=reviewer, done=len(done), pairing=st.pairing)
    pair = st.pairing.by_id(pair_id)
    assert pair is not None
    left = st.votes.left_run(comparison, pair_id, reviewer)
    return _page(
        request,
        "review.html",
        reviewer=reviewer,
        pair=pair,
        prompt=pair.a.prompt or pair.b.prompt,
        hole=_context(pair),
        outputs=_outputs(pair, left),
        questions=QUESTIONS,
        position=len(done) + 1,
        total=len(st.pairing.pairs),
        problems=st.pairing.problems,
    )


def _answers(form: dict[str, str], left: str) -> dict[str, dict[str, bool | None]]:
    runs = {"left": left, "right": "B" if left == "A" else "A"}
    return {
        runs[side]: {q: {"yes": True, "no": False}.get(form.get(f"{side}_{q}", "")) for q in QUESTIONS}
        for side in ("left", "right")
    }


async def vote(request: Request) -> Response:
    st = _state(request)
    reviewer = _reviewer(request)
    pair_id = request.path_params["pair_id"]
    if st.pairing is None or st.votes is None or st.pairing.by_id(pair_id) is None:
        return _message(request, "Unknown pair", f"There is no pair {pair_id!r} in these runs.", 404)
    if reviewer is None:
        return RedirectResponse("/reviewer", status_code=303)
    form = await _form(request)
    left = st.votes.left_run(st.pairing.comparison, pair_id, reviewer)
    choice = form.get("preference", "")
    preference = {"left": left, "right": "B" if left == "A" else "A", "tie": "tie"}.get(choice)
    if preference is None:
        return _message(request, "No preference", "Choose left, right or tie, then submit again (go back).", 400)
    try:
        st.votes.record(
            st.pairing.comparison, pair_id, reviewer, preference, _answers(form, left), form.get("comment", "")
        )
    except AlreadyReviewed:
        return _message(request, "Already reviewed", f"You have already reviewed {pair_id}; votes are final.", 409)
    return RedirectResponse("/review", status_code=303)


def _summary_data(st: DashboardState) -> dict[str, Any] | None:
    if st.pairing is None or st.votes is None:
        return None
    return summarize(st.pairing, st.votes.votes(st.pairing.comparison))


async def summary_page(request: Request) -> Response:
    data = _summary_data(_state(request))
    if data is None:
        return _message(request, "No runs", "Start the dashboard with --runs RUN_A RUN_B to review two runs.")
    chart = None
    if data["preference"]["a_rate"] is not None:
        groups = {"all": data["preference"], **{f"category {k}": v for k, v in data["by_category"].items()}}
        chart = charts.preference_chart("Preference (95% Wilson CI)", groups, data["models"]["A"])
    return _page(request, "summary.html", s=data, chart=chart, exported=None)


async def export(request: Request) -> Response:
    st = _state(request)
    if st.pairing is None or st.votes is None:
        return _message(request, "No runs", "Start the dashboard with --runs RUN_A RUN_B to review two runs.")
    _, path = export_reviews(st.pairing, st.votes.votes(st.pairing.comparison))
    return _message(request, "Exported", f"Wrote {path}; `eval report` on run A includes it.")


def _insight_charts(data: dict[str, Any]) -> dict[str, Markup]:
    svg: dict[str, Markup] = {}
    if data["events"]:
        svg["acceptance"] = charts.acceptance_chart(data["over_time"])
        svg["survival"] = charts.survival_chart(data["survival"])
        if data["latency_ms"]["n"]:
            svg["latency"] = charts.latency_chart(data["latency_ms"])
        svg["file_type"] = charts.rate_bars("Acceptance by file type", data["by_file_type"])
        if data["by_area"]:
            svg["area"] = charts.rate_bars("Acceptance by Hotwire area", data["by_area"])
    return svg


async def insights_page(request: Request) -> Response:
    st = _state(request)
    return _page(request, "insights.html", d=st.insights, svg=st.insight_charts)


# --- JSON -------------------------------------------------------------------------------------------------------


async def api_summary(request: Request) -> Response:
    data = _summary_data(_state(request))
    return JSONResponse(data if data is not None else {"error": "started without --runs"}, 200 if data else 404)


async def api_reviews(request: Request) -> Response:
    """Every vote (un-blinded) plus the summary: what `reviews.json` holds."""
    st = _state(request)
    if st.pairing is None or st.votes is None:
        return JSONResponse({"error": "started without --runs"}, 404)
    votes = st.votes.votes(st.pairing.comparison)
    return JSONResponse({"summary": summarize(st.pairing, votes), "votes": [v.to_json() for v in votes]})


async def api_pairs(request: Request) -> Response:
    """The pairs and their categories, blind (no model names)."""
    st = _state(request)
    if st.pairing is None:
        return JSONResponse({"error": "started without --runs"}, 404)
    return JSONResponse(
        {"pairs": [{"id": p.id, "category": p.category} for p in st.pairing.pairs], "problems": st.pairing.problems}
    )


async def api_insights(request: Request) -> Response:
    return JSONResponse(_state(request).insights)


async def code_css(request: Request) -> Response:
    return PlainTextResponse(_FORMATTER.get_style_defs(".code"), media_type="text/css")


# --- security ---------------------------------------------------------------------------------------------------


class GuardMiddleware(BaseHTTPMiddleware):
    """A token on every request when serving beyond loopback (from ?token= once, then a cookie), and no
    cross-site form posts (a page elsewhere must not be able to vote or export)."""

    async def dispatch(self, request: Request, call_next) -> Response:
        token: str | None = request.app.state.dashboard.token
        from_query = request.query_params.get("token")
        if token is not None:
            given = from_query or request.cookies.get(TOKEN_COOKIE, "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return PlainTextResponse("403: this dashboard needs the token printed when it started", 403)
        origin = request.headers.get("origin")
        if request.method == "POST" and origin and urlsplit(origin).netloc != request.headers.get("host"):
            return PlainTextResponse("403: cross-origin form posts are refused", 403)
        response = await call_next(request)
        if token is not None and from_query:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response


def create_app(state: DashboardState) -> Starlette:
    routes = [
        Route("/", home),
        Route("/reviewer", reviewer_form, methods=["GET"]),
        Route("/reviewer", set_reviewer, methods=["POST"]),
        Route("/review", review),
        Route("/review/{pair_id:path}", vote, methods=["POST"]),
        Route("/summary", summary_page),
        Route("/export", export, methods=["POST"]),
        Route("/insights", insights_page),
        Route("/code.css", code_css),
        Route("/api/summary", api_summary),
        Route("/api/reviews", api_reviews),
        Route("/api/pairs", api_pairs),
        Route("/api/insights", api_insights),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(GuardMiddleware)])
    app.state.dashboard = state
    return app
