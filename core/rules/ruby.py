"""Rules on Ruby files: controllers (respond_to, strong parameters, CSRF) and models (broadcasts)."""

from __future__ import annotations

import re

from tree_sitter import Node

from hotwire_assist.core.appindex import extract_facts
from hotwire_assist.core.parsing import RubyDoc, call_name, literal, node_text, option_pairs, pair_key, walk
from hotwire_assist.core.rules import taint
from hotwire_assist.core.rules.base import Context
from hotwire_assist.core.rules.tag_helpers import LATER, check_ruby_helpers, version_tuple
from hotwire_assist.core.rules.views import check_stream_targets

CALLBACKS = re.compile(
    r"^(after|before|around)_(create|update|save|destroy|commit|create_commit|update_commit|"
    r"destroy_commit|save_commit|touch)$"
)
SYNC_BROADCAST = re.compile(r"^broadcast_(append|prepend|replace|update|before|after|refresh|action|render)(_to)?$")
READ_ACTIONS = {"index", "show", "new", "edit"}
MASS_ASSIGN = {"new", "create", "create!", "update", "update!", "assign_attributes", "update_attributes",
               "build", "insert", "upsert", "find_or_create_by", "first_or_create", "update_columns"}  # fmt: skip
RAW_PARAMS = re.compile(r"^params(\[[^\]]+\]|\.(require|fetch)\([^)]*\)|\.to_unsafe_h(ash)?)*$")


def check_ruby(ctx: Context, doc: RubyDoc) -> None:
    root = doc.tree.root_node
    check_ruby_helpers(ctx, doc.calls, root)
    if ctx.index is not None:
        check_stream_targets(ctx, extract_facts(doc).stream_targets)
    _respond_to(ctx, doc)
    _strong_params(ctx, doc)
    _csrf(ctx, doc, root)
    _broadcasts(ctx, doc, root)


def _respond_to(ctx: Context, doc: RubyDoc) -> None:
    for call in doc.calls:
        if call_name(doc, call) != "respond_to" or call.child_by_field_name("receiver") is not None:
            continue
        block = call.child_by_field_name("block")
        if block is None:
            continue
        params = [
            node_text(doc, p) for p in walk(block) if p.type == "identifier" and p.parent.type == "block_parameters"
        ]
        var = params[0] if params else "format"
        formats: dict[str, Node] = {}
        for c in walk(block):
            if c.type == "call":
                r = c.child_by_field_name("receiver")
                if r is not None and node_text(doc, r) == var:
                    formats.setdefault(call_name(doc, c), c)
        if "turbo_stream" in formats and not ({"html", "any", "all"} & formats.keys()):
            ts = formats["turbo_stream"]
            api = "json" in formats
            # A stream answer (its template or `render turbo_stream:`) may be all the action is for: endpoints
            # fetched with `Accept: text/vnd.turbo-stream.html` or submitted only by Turbo forms. A redirect
            # answers any format, so wrapping it in format.turbo_stream alone is the mistake.
            redirects = any(  # the controller's own redirect (turbo_power's `turbo_stream.redirect_to` is a stream)
                (c.type == "identifier" and node_text(doc, c).startswith("redirect") and not _method_of_call(c))
                or (
                    c.type == "call"
                    and c.child_by_field_name("receiver") is None
                    and call_name(doc, c).startswith("redirect")
                )
                for c in walk(ts)
            )
            lead = api or not redirects
            ctx.add(
                "rails/turbo-stream-no-html",
                ts.start_byte,
                ts.end_byte,
                "respond_to has format.turbo_stream but no format.html: a request without Turbo (JS off, a crawler, "
                "a redirect) gets 406 Not Acceptable; add format.html { redirect_to … }"
                + (
                    " (the action also serves JSON, so it may be reached only by Turbo and API clients)"
                    if api
                    else " (a stream-only endpoint is fine when only Turbo requests reach it)"
                    if lead
                    else " (the stream branch only redirects, which any format could)"
                ),
                severity="info" if lead else None,
            )
    _render_turbo_stream(ctx, doc)


BRANCHES = ("if", "unless", "if_modifier", "unless_modifier", "conditional")
FORMAT_CHECK = re.compile(r"turbo_stream|format|request\.(xhr|format)|turbo_frame_request")


def _render_turbo_stream(ctx: Context, doc: RubyDoc) -> None:
    """`render turbo_stream: …` outside respond_to answers every request with a stream, HTML requests too."""
    if "/controllers/" not in "/" + doc.path.replace("\\", "/"):
        return
    for call in doc.calls:
        if call_name(doc, call) != "render" or call.child_by_field_name("receiver") is not None:
            continue
        if not any(pair_key(doc, p) == "turbo_stream" for p in option_pairs(call)):
            continue
        if _format_guarded(doc, call) or _only_called_guarded(doc, call):
            continue
        value = next(
            (p.child_by_field_name("value") for p in option_pairs(call) if pair_key(doc, p) == "turbo_stream"), None
        )
        widget = value is not None and bool(WIDGET_STREAMS.search(node_text(doc, value)))
        ctx.add(
            "rails/turbo-stream-no-html",
            call.start_byte,
            call.end_byte,
            "`render turbo_stream:` answers every request with a stream, a browser without Turbo (JS off, a "
            "crawler, a redirect) too, which shows it as text; wrap it in respond_to with a format.html fallback"
            + (" (this one feeds a widget that fetches it as a stream: no HTML request comes here)" if widget else ""),
            severity="info" if widget else None,
        )


def _format_guarded(doc: RubyDoc, node: Node, owners: tuple[str, ...] = ("respond_to", "turbo_stream")) -> bool:
    """Whether `node` runs only for a stream request: inside respond_to / `format.turbo_stream { }` (`owners`),
    or a branch that checks the format."""
    p = node.parent
    while p is not None and p.type not in ("method", "class"):
        if p.type in ("block", "do_block") and p.parent is not None and p.parent.type == "call":
            owner = p.parent
            if call_name(doc, owner) in owners:
                return True
        cond = p.child_by_field_name("condition") if p.type in BRANCHES else None
        if cond is not None and FORMAT_CHECK.search(node_text(doc, cond)):
            return True
        p = p.parent
    return False


def _only_called_guarded(doc: RubyDoc, node: Node) -> bool:
    """Whether `node` sits in a method of this file that is called here, and only from stream-only places
    (`format.turbo_stream { render_reply_error(error) }`) of respond_to blocks that also answer HTML."""
    m = node.parent
    while m is not None and m.type != "method":
        m = m.parent
    if m is None:
        return False
    name = node_text(doc, m.child_by_field_name("name"))
    uses = [
        n
        for n in walk(doc.tree.root_node)
        if n.type in ("identifier", "call")
        and not (m.start_byte <= n.start_byte < m.end_byte)
        and (node_text(doc, n) == name if n.type == "identifier" else call_name(doc, n) == name)
        and not (n.type == "identifier" and n.parent is not None and n.parent.type == "call"
                 and n.parent.child_by_field_name("method") == n)
    ]  # fmt: skip
    return bool(uses) and all(_format_guarded(doc, n, ("turbo_stream",)) and _answers_html(doc, n) for n in uses)


def _answers_html(doc: RubyDoc, node: Node) -> bool:
    """Whether the respond_to around `node` also answers HTML (`format.html { redirect_to … }`)."""
    p = node.parent
    while p is not None and p.type not in ("method", "class"):
        if p.type in ("block", "do_block") and p.parent is not None and call_name(doc, p.parent) == "respond_to":
            return bool(re.search(r"\b\w+\.html\b", node_text(doc, p)))
        p = p.parent
    return False


# a stream built for a JS widget that fetches it itself (hotwire_combobox's async options endpoint)
WIDGET_STREAMS = re.compile(r"\basync_combobox_options\b")


def _params_root(doc: RubyDoc, node: Node) -> Node | None:
    """The `params` identifier an expression is read from (`params.require(:x)`, `params[:x]`), if any."""
    while node is not None:
        if node.type == "identifier" and node_text(doc, node) == "params":
            return node
        if node.type == "call" and node.child_by_field_name("receiver") is None and call_name(doc, node) == "params":
            return node
        nxt = node.child_by_field_name("receiver") or node.child_by_field_name("object")
        if nxt is None:
            return None
        node = nxt
    return None


def _method_of_call(n: Node) -> bool:
    """`redirect_to` in `turbo_stream.redirect_to(…)`: the name of a call with a receiver."""
    p = n.parent
    return p is not None and p.type == "call" and p.child_by_field_name("receiver") is not None


def _controller_params(doc: RubyDoc, node: Node) -> bool:
    """Whether an expression reads the request's params (not a method argument that happens to be named params)."""
    root = _params_root(doc, node)
    return root is not None and not taint.is_local_param(doc, root, "params")


def _model_receiver(ctx: Context, doc: RubyDoc, call: Node) -> bool:
    """Whether a `new`/`create`/`update` call may reach Active Record: a model class of the app, a record or an
    association (`@post.update`, `current_user.posts.create`), or anything when the app's models are unknown.
    A plain class (`ElasticSearcher.new(params[:query])`) takes arguments, not attributes."""
    recv = call.child_by_field_name("receiver")
    if recv is None or ctx.index is None or not ctx.index.models:
        return True
    if recv.type in ("constant", "scope_resolution"):
        name = node_text(doc, recv).rsplit("::", 1)[-1]
        # a plain class of app/models (`ItemSearchQuery.new(params[:query])`, its own `initialize(input)`)
        # takes an argument, not attributes
        return any(m["name"].rsplit("::", 1)[-1] == name and not m.get("plain") for m in ctx.index.models)
    return True


_PERMIT_ALL = re.compile(r"^\s*config\.action_controller\.permit_all_parameters\s*=\s*true", re.M)


def _params_unprotected(ctx: Context) -> bool:
    """Whether raw params reach a model unchecked: Rails before 4 (no strong parameters), or an app that sets
    `permit_all_parameters = true` (read from config/application.rb and config/environments/production.rb)."""
    if ctx.index is None:
        return False
    v = version_tuple(ctx.index.versions.get("rails"))
    if v is not None and v < (4,):
        return True
    if ctx.index.root is None:
        return False
    for rel in ("config/application.rb", "config/environments/production.rb"):
        try:
            if _PERMIT_ALL.search((ctx.index.root / rel).read_text()):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


def _permit_follows(doc: RubyDoc, call: Node) -> bool:
    """Whether `call` is the receiver of a `permit(...)` with arguments (`permit!.permit(*resource.fields)`)."""
    outer = call.parent
    return (
        outer is not None
        and outer.type == "call"
        and outer.child_by_field_name("receiver") == call
        and call_name(doc, outer) == "permit"
        and outer.child_by_field_name("arguments") is not None
    )


def _strong_params(ctx: Context, doc: RubyDoc) -> None:
    for call in doc.calls:
        name = call_name(doc, call)
        method = call.child_by_field_name("method")
        if name == "permit!":
            recv = call.child_by_field_name("receiver")
            if recv is None or not _controller_params(doc, recv):
                continue
            if _permit_follows(doc, call):
                continue  # `permit!.permit(*allowed)`: the next call keeps only the listed keys
            guarded = _signed_in_only(ctx, doc) and call_name(doc, recv) == "require"
            ctx.add(
                "security/permit-bang",
                method.start_byte if method is not None else call.start_byte,
                call.end_byte,
                "`permit!` on request params permits every key (mass assignment of admin flags and foreign keys; "
                "in url_for or redirect_to, `host`/`protocol` from the query string); list them with permit(:a, :b)"
                + (
                    " (here on one record's params, in a controller whose chain requires sign-in: every signed-in "
                    "user can set every column of it)"
                    if guarded
                    else ""
                ),
                severity="info" if guarded else None,
            )
        elif name in MASS_ASSIGN:
            if not _model_receiver(ctx, doc, call):
                continue
            args = call.child_by_field_name("arguments")
            for a in args.named_children if args is not None else []:
                text = re.sub(r"\s+", "", node_text(doc, a))
                if RAW_PARAMS.match(text) and "permit" not in text and _controller_params(doc, a):
                    # unpermitted ActionController::Parameters make Active Record raise ForbiddenAttributesError
                    # (a bug, no hole); only `to_unsafe_h` hands every key to the model
                    unsafe = "to_unsafe_h" in text or _params_unprotected(ctx)
                    ctx.add(
                        "security/mass-assignment",
                        a.start_byte,
                        a.end_byte,
                        f"`{text}` passed to {name} without permit: "
                        + (
                            "every request key reaches the model (mass assignment"
                            + ("" if "to_unsafe_h" in text else ": the app turns strong parameters' check off")
                            + ")"
                            if unsafe
                            else "Active Record raises ActiveModel::ForbiddenAttributesError on unpermitted params"
                        )
                        + "; use a `*_params` method with require(...).permit(...)",
                        severity=None if unsafe else "warning",
                    )


AUTH_ELSEWHERE = re.compile(
    r"validate_webhook|verify_signature|verify_webhook|construct_event|OpenSSL::HMAC|secure_compare|"
    r"find_by_token_for|find_signed|signed_id|MessageVerifier|authenticate_with_http_token|"
    r"authenticate_or_request_with_http_token|authenticate_with_http_basic|http_basic_authenticate_with|"
    r"doorkeeper_authorize!|authenticate_request!|api_key|verify_request|valid_signature|authenticate_\w*token"
)


def _controller_key(doc: RubyDoc) -> str:
    """`Notifications::UnsubscribesController` -> `notifications/unsubscribes` (the routes' controller name)."""
    facts = extract_facts(doc).controller or {}
    name = str(facts.get("name", "")).removesuffix("Controller")
    return "/".join(re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in name.split("::") if part)


# a controller that stops itself outside development: `raise … if Rails.env.production?`,
# `head :not_found unless Rails.env.development?`
DEV_ONLY = re.compile(
    r"^\s*(raise|head|render|redirect_to)\b[^\n]*\b(if\s+Rails\.env\.production\?"
    r"|unless\s+Rails\.env\.(development|local|test)\?)",
    re.M,
)


AUTH_FILTER = re.compile(r"authenticate\w*|\w*signed_in\w*|require_(login|user|sign_in)\w*|login_required")


def _public_actions(doc: RubyDoc) -> set[str]:
    """Actions the controller lets through without sign-in (`skip_before_action :signed_in_user, only: […]`);
    `<all>` when an authentication filter is skipped for every action."""
    out: set[str] = set()
    for m in re.finditer(r"^\s*skip_before_action\s+:(\w+)([^\n]*)", doc.text, re.M):
        if not AUTH_FILTER.fullmatch(m.group(1)):
            continue
        rest = m.group(2)
        only = re.search(r"only:\s*(\[[^\]]*\]|:\w+)", rest)
        if only:
            out |= set(re.findall(r":(\w+)", only.group(1)))
        elif "except:" not in rest and " if:" not in rest and " unless:" not in rest:
            out.add("<all>")
    return out


IDENTITY = re.compile(
    r"\bcurrent_\w+|\bCurrent\.\w+|\bsign_in\b|\blog_in\b|\blogin\b|\bwarden\b|\bsuper\b|authenticat|"
    r"\bsession\[[^\]]+\](?!\s*=[^=])|\bsession\.(?!\[)|\bcookies\b"
)


COMMENT = re.compile(r"(?m)^\s*#.*$")


def _anonymous_actions(ctx: Context, doc: RubyDoc, actions: set[str]) -> bool:
    """Whether every one of `actions` is defined here and its body reads no signed-in identity (no
    `current_user`, `Current.user`, session read, cookie) nor signs in (`sign_in`, Devise's `super`), in a
    controller that names no authentication or sign-in filter of its own: a public form post such as a signup,
    where a forged request rides no session. Login actions (`sign_in`, `super` into Devise) stay exposed."""
    if IDENTITY.search(COMMENT.sub("", _class_level_text(doc))) or not _unguarded_ancestry(ctx, doc):
        return False
    bodies = {node_text(doc, m.child_by_field_name("name")): COMMENT.sub("", node_text(doc, m))
              for m in walk(doc.tree.root_node) if m.type == "method"}  # fmt: skip
    return all(a in bodies and not IDENTITY.search(bodies[a]) for a in actions)


def _signed_in_only(ctx: Context, doc: RubyDoc) -> bool:
    """Whether the controller or one of the app's parent controllers it inherits from has a sign-in filter
    (`before_action :authenticate`), so only signed-in users reach its actions."""
    if ctx.index is None:
        return False
    by_name = {c["name"].lstrip(":"): c for c in ctx.index.controllers}
    facts = extract_facts(doc).controller
    for _ in range(12):
        if facts is None:
            return False
        if facts.get("guarded"):
            return True
        scope, bare = facts["name"].split("::")[:-1], facts.get("superclass", "").lstrip(":")
        tries = ("::".join([*scope[:i], bare]) for i in range(len(scope), -1, -1))
        facts = next((by_name[n] for n in tries if n in by_name), None)
    return False


def _unguarded_ancestry(ctx: Context, doc: RubyDoc) -> bool:
    """Whether every parent controller up to ActionController::Base is the app's and names no sign-in filter
    (an inherited `before_action :authenticate_user!` means a forged request rides the victim's session)."""
    if ctx.index is None:
        return False
    by_name = {c["name"].lstrip(":"): c for c in ctx.index.controllers}
    own = extract_facts(doc).controller or {}
    if own.get("guarded"):
        return False
    name, sup = own.get("name", ""), own.get("superclass", "")
    for _ in range(12):
        if sup.lstrip(":") == "ActionController::Base":
            return True
        # `class BaseController` inside `module Signup` resolves against the enclosing modules first
        scope, bare = name.split("::")[:-1], sup.lstrip(":")
        tries = ("::".join([*scope[:i], bare]) for i in range(len(scope), -1, -1))
        found = next((by_name[n] for n in tries if n in by_name), None)
        if found is None or found.get("guarded"):
            return False  # not the app's (Devise's, a gem's), or it signs users in
        name, sup = found["name"], found.get("superclass", "")
    return False


def _class_level_text(doc: RubyDoc) -> str:
    """The controller's text outside its method bodies (its filters and declarations)."""
    data = doc.data
    for m in sorted((n for n in walk(doc.tree.root_node) if n.type == "method"), key=lambda n: -n.start_byte):
        data = data[: m.start_byte] + data[m.end_byte :]
    return data.decode("utf-8", "replace")


def _routes_to(route: dict, key: str) -> bool:
    """Whether a route goes to the controller `key` (`docs/api`); inside `namespace :docs`, `to: "api#v3"`
    is recorded without its namespace, so a route whose path sits under the namespace counts too."""
    ctrl = route["action"].split("#")[0]
    if ctrl == key:
        return True
    ns, _, last = key.rpartition("/")
    return bool(ns) and ctrl == last and str(route.get("path", "")).startswith(f"/{ns}/")


def _csrf_exposure(ctx: Context, doc: RubyDoc, only: set[str] | None) -> tuple[str | None, str]:
    """(severity, why) for skipping forgery protection on `only` (None: every action)."""
    facts = extract_facts(doc).controller or {}
    own = set(facts.get("actions", {}))
    if not own:
        return "info", "a base controller: the actions of its subclasses are exposed; check each one"
    if DEV_ONLY.search(doc.text):
        return "info", "a development-only controller (it refuses to run in production); keep it so"
    if "webhook" in doc.path.lower() or "Webhook" in str(facts.get("name", "")):
        return "info", "a webhook endpoint never relies on the session; make sure it verifies the sender"
    actions = own
    if only is not None:
        actions = only if "<dynamic>" not in only else own
    mutating = actions - READ_ACTIONS - _returning_at_once(doc)
    if ctx.index is not None and ctx.index.routes and actions:
        key = _controller_key(doc)
        verbs = {r["verb"] for r in ctx.index.routes if _routes_to(r, key) and
                 r["action"].split("#")[-1] in actions}  # fmt: skip
        if verbs and verbs <= {"GET"}:
            return None, "only GET routes"
    if actions and not mutating:
        return None, "only read actions, or actions that return before doing anything"
    if mutating and all(re.search(r"webhook", a) for a in mutating):
        return "info", "webhook actions never rely on the session; make sure each verifies its sender"
    public = _public_actions(doc)
    if mutating and (mutating <= public or "<all>" in public):
        return "info", "public actions that also skip sign-in: no signed-in session for a forged request to ride"
    if mutating and _anonymous_actions(ctx, doc, mutating):
        return "info", (
            f"{', '.join(sorted(mutating))} neither read(s) the signed-in user nor sign(s) anyone in, and the "
            "controller requires no sign-in: no signed-in session for a forged request to ride"
        )
    m = AUTH_ELSEWHERE.search(doc.text)
    if m:
        return (
            "info",
            f"the controller authenticates requests another way (`{m.group(0)}`): make sure every action does",
        )
    which = ", ".join(sorted(mutating)) if mutating else "every action"
    if not _identity_seen(ctx, doc, mutating or actions):
        return "warning", (
            f"mutating action(s) {which} accept cross-site requests; no sign-in filter in the controller's chain "
            "and no signed-in identity in the actions is visible here (a parent or gem may add one), so check "
            "whether a forged request rides a session"
        )
    return "error", f"mutating action(s) {which} accept cross-site requests"


def _returning_at_once(doc: RubyDoc) -> set[str]:
    """Actions whose first statement is an unconditional `return` (`return render json: ...`, `return head :ok`):
    a stub that changes nothing, so a forged request to it does nothing either."""
    out: set[str] = set()
    for m in walk(doc.tree.root_node):
        if m.type != "method":
            continue
        body = m.child_by_field_name("body")
        first = next((c for c in body.named_children if c.type != "comment"), None) if body is not None else None
        if first is not None and first.type == "return":
            out.add(node_text(doc, m.child_by_field_name("name")))
    return out


def _identity_seen(ctx: Context, doc: RubyDoc, actions: set[str]) -> bool:
    """Whether the checker sees a signed-in identity a forged request would ride: a sign-in filter in the
    controller's chain, identity read at class level or in one of `actions` (`current_user`, `sign_in`,
    Devise's `super`), or a Devise controller (login CSRF)."""
    if _signed_in_only(ctx, doc):
        return True
    facts = extract_facts(doc).controller or {}
    if str(facts.get("superclass", "")).lstrip(":").startswith("Devise::"):
        return True
    if IDENTITY.search(COMMENT.sub("", _class_level_text(doc))):
        return True
    bodies = {node_text(doc, m.child_by_field_name("name")): COMMENT.sub("", node_text(doc, m))
              for m in walk(doc.tree.root_node) if m.type == "method"}  # fmt: skip
    return any(IDENTITY.search(bodies.get(a, "")) for a in actions)


def _csrf(ctx: Context, doc: RubyDoc, root: Node) -> None:
    cls = next((n for n in walk(root) if n.type == "class"), None)
    if cls is None:
        return
    sup = node_text(doc, cls.child_by_field_name("superclass"))
    if "ActionController::API" in sup:
        return
    for n in walk(cls):
        if n.type == "identifier" and node_text(doc, n) == "skip_forgery_protection" and n.parent.type != "call":
            severity, why = _csrf_exposure(ctx, doc, None)
            if severity:
                ctx.add(
                    "security/csrf-skip",
                    n.start_byte,
                    n.end_byte,
                    f"skip_forgery_protection turns CSRF protection off: {why}",
                    severity=severity,  # type: ignore[arg-type]
                )
        if n.type != "call" or n.child_by_field_name("receiver") is not None:
            continue
        name = call_name(doc, n)
        args = n.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        opts = {pair_key(doc, p): p.child_by_field_name("value") for p in option_pairs(n)}
        skip = name == "skip_forgery_protection" or (
            name == "skip_before_action" and first is not None and literal(doc, first) == "verify_authenticity_token"
        )
        if skip:
            severity, why = _csrf_exposure(ctx, doc, _action_list(doc, opts.get("only")))
            if severity:
                ctx.add(
                    "security/csrf-skip",
                    n.start_byte,
                    n.end_byte,
                    f"CSRF protection skipped: {why}; verify the request another way (a signature) or keep the token",
                    severity=severity,  # type: ignore[arg-type]
                )
        elif name == "protect_from_forgery":
            exc = _action_list(doc, opts.get("except"))
            if exc and exc - READ_ACTIONS:
                severity, why = _csrf_exposure(ctx, doc, exc)
                if severity:
                    ctx.add(
                        "security/csrf-skip",
                        n.start_byte,
                        n.end_byte,
                        f"protect_from_forgery except: {why}",
                        severity=severity,  # type: ignore[arg-type]
                    )


def _action_list(doc: RubyDoc, node: Node | None) -> set[str] | None:
    if node is None:
        return None
    if node.type in ("array", "string_array", "symbol_array"):
        return {literal(doc, c) or node_text(doc, c) for c in node.named_children}
    v = literal(doc, node)
    return {v} if v else {"<dynamic>"}


def _broadcasts(ctx: Context, doc: RubyDoc, root: Node) -> None:
    if "/models/" not in "/" + doc.path.replace("\\", "/") and "broadcast" not in doc.text:
        return
    callback_methods: set[str] = set()
    destroy_methods: set[str] = set()
    bodies: list[Node] = []
    on_destroy: set[int] = set()  # ids of bodies run after a record is destroyed
    for call in doc.calls:
        if not CALLBACKS.match(call_name(doc, call)) or call.child_by_field_name("receiver") is not None:
            continue
        destroy = "destroy" in call_name(doc, call) or bool(re.search(r"\bon:\s*:destroy\b", node_text(doc, call)))
        args = call.child_by_field_name("arguments")
        for a in args.named_children if args is not None else []:
            if a.type == "simple_symbol":
                callback_methods.add(node_text(doc, a)[1:])
                if destroy:
                    destroy_methods.add(node_text(doc, a)[1:])
            elif a.type == "lambda":
                bodies.append(a)
                if destroy:
                    on_destroy.add(id(bodies[-1]))
        if call.child_by_field_name("block") is not None:
            bodies.append(call.child_by_field_name("block"))
            if destroy:
                on_destroy.add(id(bodies[-1]))
    for n in walk(root):
        if n.type == "method" and node_text(doc, n.child_by_field_name("name")) in callback_methods:
            bodies.append(n)
            if node_text(doc, n.child_by_field_name("name")) in destroy_methods:
                on_destroy.add(id(bodies[-1]))
    for body in bodies:
        destroyed = id(body) in on_destroy
        for c in walk(body):
            if c.type not in ("call", "identifier"):
                continue
            name = call_name(doc, c) if c.type == "call" else node_text(doc, c)
            if c.type == "identifier" and c.parent is not None and c.parent.type == "call":
                continue
            if not SYNC_BROADCAST.match(name):
                continue
            method = c.child_by_field_name("method") if c.type == "call" else c
            fix = None
            if name in LATER and method is not None:
                fix = ctx.fix(f"Use {LATER[name]}", (method.start_byte, method.end_byte, LATER[name]))
            ctx.add(
                "turbo/sync-broadcast",
                c.start_byte,
                c.end_byte,
                f"`{name}` in a model callback renders and broadcasts inside the request/transaction; use "
                f"`{LATER.get(name, name)}` (a job) or `broadcasts_refreshes`"
                + (
                    " (after a destroy a job could not load the record: broadcasting now may be deliberate)"
                    if destroyed
                    else ""
                ),
                None if destroyed else fix,
                severity="info" if destroyed else None,
            )
