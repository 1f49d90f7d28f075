"""Secret detection and redaction: what the privacy gate (core.privacy) does to text it lets through.

Two layers run on each line that a cheap prefilter marks as a candidate:
- our own expressions for the formats dedicated scanners cover (gitleaks' rule list was the reference
  for *which* formats; the expressions are written here): provider tokens, private keys, URL
  credentials, Authorization headers, API keys in query strings, secret-looking keys assigned literal
  values in code, YAML, env, compose, Kamal and CI files, known constructors' positional keys;
- detect-secrets' plugins that fit (keyword with the real file name so its YAML/config-aware
  expressions apply, base64 entropy and its provider detectors), filtered for placeholders.
Only the value is replaced, by a typed marker (`[REDACTED:aws-secret]`): key names and the rest of the
line stay readable. Redacting a redacted text changes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

MARKER = "[REDACTED:{}]"
_MARKER_RE = re.compile(r"\[REDACTED(?::[a-z0-9-]+)?\]")

# Cheap checks that decide which rule families run on a line (most code lines skip them all).
_KEYWORD_HINT = re.compile(
    r"pass|pwd|secret|token|credential|authoriz|bearer|key\b|key[_-]|[_-]key|salt|auth\b", re.IGNORECASE
)
_RUN = re.compile(r"[A-Za-z0-9+/=_.:~-]+")
_PROVIDER_HINT = re.compile(
    r"AKIA|ASIA|A3T|AB[I]A|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|soat)-|"
    r"[sr]k_(?:live|test|prod)_|GOCSPX-|discord|whsec_|xox|xapp-|hooks\.slack|SK[0-9a-fA-F]{32}|eyJ|AIza|shp(?:at|ca|pa|ss)_|SG\.|key-|"
    r"npm_|pypi-|rubygems_|sk-|do[por]_v1_|sq0|EAAA|AGE-SECRET|hv[sb]\.|AccountKey=|lin_api_|dp\.|sntr|HRKU-|:AA|CONTRIBSYS"
)

# Provider formats: (marker type, expression); the secret is group 1 when there is one, else the match.
_TOKENS: tuple[tuple[str, str], ...] = (
    ("aws-access-key-id", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b"),
    ("github-token", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b"),
    ("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}"),
    ("gitlab-token", r"\bgl(?:pat|ptt|dt|rt|soat)-[A-Za-z0-9_-]{20,}"),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}\b"),
    ("google-oauth-secret", r"\bGOCSPX-[A-Za-z0-9_-]{20,}"),
    ("discord-webhook", r"discord(?:app)?\.com/api/webhooks/\d+/([A-Za-z0-9_-]{40,})"),
    ("stripe-key", r"\bwhsec_[A-Za-z0-9]{20,}\b"),
    ("slack-token", r"\bxox[abposrce]-[A-Za-z0-9-]{10,}"),
    ("slack-token", r"\bxapp-\d-[A-Z0-9]+-\d+-[a-fA-F0-9]{20,}"),
    ("slack-webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/_-]{20,})"),
    ("twilio-key", r"\bSK[0-9a-fA-F]{32}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    ("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    ("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{20,24}\.[A-Za-z0-9_-]{39,50}(?![A-Za-z0-9_-])"),
    ("mailgun-key", r"\bkey-[0-9a-f]{32}\b"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi-token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    ("rubygems-key", r"\brubygems_[a-f0-9]{48}\b"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{10,}"),
    ("openai-key", r"\bsk-(?:proj|svcacct|admin|ant-(?:api|admin)\d\d)-[A-Za-z0-9_-]{30,}"),
    ("digitalocean-token", r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    ("square-token", r"\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,60}"),
    ("square-token", r"\bEAAA[A-Za-z0-9_-]{60,}"),
    ("telegram-token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])"),
    ("age-key", r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b"),
    ("vault-token", r"\bhv[sb]\.[A-Za-z0-9_-]{24,}"),
    ("azure-storage-key", r"AccountKey=([A-Za-z0-9+/]{80,}={0,2})"),
    ("mapbox-token", r"\bsk\.eyJ[A-Za-z0-9_.-]{20,}"),
    ("linear-key", r"\blin_api_[A-Za-z0-9]{40}\b"),
    ("doppler-token", r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}\b"),
    ("sentry-token", r"\bsntr[ysu]_[A-Za-z0-9+/=_]{40,}"),
    ("heroku-key", r"\bHRKU-[A-Za-z0-9_-]{40,}"),
    (
        "gem-server-credentials",
        r"\bBUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM[\"']?\s*[=:]\s*[\"']?([a-fA-F0-9]{8}:[a-fA-F0-9]{8})",
    ),
)

# scheme://user:password@host (the password only) and scheme://token@host.
_URL_PASSWORD = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@\"'<>]*:([^\s@/\"'<>]+)@(?=[^\s/@])")
_URL_TOKEN = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://([A-Za-z0-9._~-]{16,})@(?=[^\s/@])")
# ?key=…, &access_token=… in URLs (a Google Maps <script src>, a webhook URL).
_QUERY = re.compile(
    r"[?&;](?:key|api_?key|apikey|token|access_?token|auth_?token|auth|secret|client_secret|password|sig|"
    r"signature|private_token|code)=([^&#\s\"'<>`)]+)",
    re.IGNORECASE,
)
# Authorization: Bearer …, "Authorization" => "token …", X-Api-Key: …
_AUTH_HEADER = re.compile(
    r"\b(?:authorization|proxy-authorization|x-api-key|x-auth-token|private-token|x-[a-z-]*access-token|api-key)"
    r"(?:[\"']?\s*(?:=>|:|=)|[\"']\s*,)\s*[\"']?(?:(?:bearer|token|basic|bot|apikey)\s+)?([A-Za-z0-9._~+/=-]{8,})",
    re.IGNORECASE,
)
# redis-server --requirepass X, mysql --password=X, some-cli --api-key X
_CLI_FLAG = re.compile(
    r"(?<![\w-])--(?:requirepass|password|passwd|pass|token|api-key|apikey|secret|client-secret|auth-token)"
    r"(?:=|\s+)([\"']?)([^\s\"'$]{6,})\1",
    re.IGNORECASE,
)
# SECRET_KEY_BASE=… anywhere in a line (a Procfile, a command in a README or a CI script)
_INLINE_ENV = re.compile(
    r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|_KEY|KEY_BASE|CREDENTIALS?)[A-Z0-9_]*)"
    r"=([\"']?)([^\s\"'$`]{6,})\2"
)
# `export KEY=value`, `KEY=value` lines: env syntax wherever it appears (scripts, READMEs, Procfiles)
_ENV_LINE = re.compile(r"^\s*(?:export\s+|ENV\s+|ARG\s+)?[A-Za-z_][A-Za-z0-9_]*=\S")
_BEARER = re.compile(r"\bBearer\s+([A-Za-z0-9._~+/-]{16,}=*)", re.IGNORECASE)
# Well-known constructors taking keys as positional arguments: every long literal argument.
_SECRET_KEY_WORDS_UPPER = r"password|passwd|pwd|secret|token|key|credentials?"
_CONSTRUCTOR = re.compile(
    r"\b(?:(?:Aws::Credentials|Aws::[A-Za-z0-9]+::Client|Twilio::REST::Client|Stripe::StripeClient|"
    r"Octokit::Client|Slack::Web::Client|Google::Cloud::[A-Za-z:]+|OpenAI::Client|Anthropic::Client)\.new\(|"
    r"JWT\.(?:encode|decode)\(|OpenSSL::HMAC\.(?:hexdigest|digest|base64digest)\(|"
    r"(?:\bprovider|\.omniauth)\s+:\w+\s*,)([^)\n]*)"
)
_CALL_HINT = re.compile(r"\.new\(|JWT\.|HMAC\.|provider\s+:|omniauth\s+:")
_LITERAL = re.compile(r"([\"'])([^\"'\s]{12,})\1")
# ENV.fetch("STRIPE_SECRET", "fallback"): the fallback is a literal secret
_ENV_DEFAULT = re.compile(
    rf"ENV\.fetch\(\s*[\"'][A-Za-z0-9_]*(?:{_SECRET_KEY_WORDS_UPPER})[A-Za-z0-9_]*[\"']\s*,\s*([\"'])([^\"'\s]{{6,}})\1",
    re.IGNORECASE,
)
# curl -u user:password, --user user:password
_CURL_USER = re.compile(r"(?<![\w-])(?:-u|--user)\s+[\"']?[^\s:\"']+:([^\s@\"']{6,})")

# A key that names a secret; a literal value assigned to it is redacted.
_SECRET_KEY_WORDS = (
    r"password|passwd|passphrase|pwd|secret|token|api_?key|apikey|access_?key|private_?key|secret_?key|"
    r"master_?key|signing_?key|encryption_?key|auth_?key|license_?key|credentials?|_key|key_|salt|auth(?![A-Za-z0-9_])"
)
# key: value / KEY=value / key => "value" / key = "value"; the value is group `v`.
_ASSIGN_CODE = re.compile(
    rf"(?P<k>(?:{_SECRET_KEY_WORDS})[A-Za-z0-9_]*)[\"']?\]?\s*(?:=>|:|==?|\|\|=)\s*"
    r"(?P<q>[\"'`])(?P<v>[^\"'`\n]*)(?P=q)",
    re.IGNORECASE,
)
# Config files (YAML, env, compose, Kamal, CI, Dockerfile): unquoted values too, anchored at the key.
_ASSIGN_CONFIG = re.compile(
    rf"\s*(?:-\s+|export\s+|ENV\s+|ARG\s+)?[\"']?(?P<k>[A-Za-z0-9_.-]*?(?:{_SECRET_KEY_WORDS})[A-Za-z0-9_.-]*)[\"']?"
    r"\s*(?::|=)\s*(?P<q>[\"']?)(?P<v>[^\s\"'#][^\"'\n]*?)(?P=q)\s*(?:\s#.*)?$",
    re.IGNORECASE,
)
# A lone 32-hex line: config/master.key's content, or a Kamal secret piped in.
_WORD = re.compile(r"^[^\W\d]+(?:[-_][^\W\d]+)*$")
# A line of nothing but base64 (the body of a key block whose BEGIN line lies before the text).
_BLOB_LINE = re.compile(r"^\s*[\"']?([A-Za-z0-9+/]{40,}={0,2})[\"']?\s*$")
_HEX32_LINE = re.compile(r"^\s*([0-9a-f]{32})\s*$")
_HEX32 = re.compile(r"(?<![0-9A-Za-z])([0-9a-f]{32})(?![0-9A-Za-z])")

# Private keys span lines: whole blocks, a block cut off by the end of the text, and the tail of a
# block whose BEGIN line lies before the text.
_PRIVATE_KEY = re.compile(
    r"(-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)(.*?)(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
_PRIVATE_KEY_TAIL = re.compile(r"\A()((?:(?!-----BEGIN).)*?)(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)", re.DOTALL)


def _key_body(m: re.Match[str]) -> str:
    """A key block with only its body replaced: the BEGIN/END lines and the layout stay readable."""
    body = m.group(2)
    if not body.strip():
        return m.group(0)
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    return m.group(1) + lead + MARKER.format("private-key") + trail + m.group(3)


# Values that are obviously not secrets: references, templates, placeholders.
_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|-+|_+|<[^>]*>|\{\{.*\}\}|%\{.*\}|\$\{.*\}|\$[A-Za-z_][A-Za-z0-9_]*|#\{.*\}|<%.*%>|"
    r"your[_ -].*|.*(?:example|placeholder|changeme|change_me|replace[_ -]?me|redacted).*|"
    r"(?:password|passwd|secret|test|dummy|fake|sample|foo|bar|baz|abc|qwerty|letmein|token|key|value|"
    r"none|null|nil|true|false|undefined|required|optional|string|text|hidden|current-password|new-password)"
    r"[_-]?\d{0,4}|\d{1,7}|(?-i:[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]|[A-Z]+))$",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"ENV[\[.]|<%|\$\{|#\{|\{\{|%\{|\bRails\.|\bcredentials\b|process\.env|^[&*!]|"
    r"\w\[:|\w\(|\)$|\]$|::|^[a-z_]+\.[a-z_]+"  # code: params[:password]), fetch(...), Foo::Bar, user.password
)
_CONFIG_NAME = re.compile(
    r"(?:\.ya?ml|\.env(?:\..*)?|\.toml|\.ini|\.cfg|\.conf|\.properties|Dockerfile|Procfile|\.envrc|"
    r"(?:^|/)\.kamal/secrets[^/]*|(?:^|/)\.env[^/]*|\.sh|\.bash)$"
)


@dataclass(frozen=True)
class Finding:
    """A secret value found in a line: where, and what kind (the marker's type)."""

    start: int
    end: int
    kind: str


def is_config_file(filename: str | None) -> bool:
    """YAML, env, compose, Kamal, CI and other key/value files: unquoted values count."""
    return bool(filename) and bool(_CONFIG_NAME.search(PurePosixPath(str(filename)).as_posix()))


def _entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for c in s:
        counts[c] = counts.get(c, 0) + 1
    n = len(s)
    return -sum(v / n * math.log2(v / n) for v in counts.values())


def _placeholder(value: str) -> bool:
    v = value.strip().strip("\"'`")
    return not v or bool(_PLACEHOLDER.match(v)) or bool(_REFERENCE.search(v)) or "[REDACTED" in v


def _kind_of_key(key: str) -> str:
    k = key.lower().replace("-", "_")
    if "secret_key_base" in k:
        return "secret-key-base"
    if "master_key" in k:
        return "master-key"
    if "aws" in k and ("secret" in k or "key" in k):
        return "aws-secret"
    if any(w in k for w in ("password", "passwd", "passphrase", "pwd")):
        return "password"
    if "token" in k:
        return "token"
    if "secret" in k:
        return "secret"
    if "credential" in k:
        return "credentials"
    return "api-key"


def _mixed(value: str) -> bool:
    """Upper, lower and a digit: not an identifier, a word or a hex digest."""
    return any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)


@lru_cache(maxsize=1)
def _compiled_tokens() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(expr)) for kind, expr in _TOKENS)


def _key_before(line: str, start: int) -> int:
    """Where the identifier that ends at `start` begins (key names like `SMTP_PASSWORD`, `data-api-key`)."""
    i = start
    while i > 0 and (line[i - 1].isalnum() or line[i - 1] in "_.-"):
        i -= 1
    return i


def _value_ok(value: str, key: str, config: bool) -> bool:
    """Whether a literal assigned to a secret-named key looks like a secret rather than a word or a name."""
    if len(value) < 6 or _placeholder(value) or " " in value.strip() or "\t" in value:
        return False
    # not a name (a Stimulus target, foreign_key: "author_id") nor a translated word
    return not (_WORD.match(value) and (not config or len(value) < 16))


def _own_findings(line: str, config: bool, runs: list[re.Match[str]], keyword: bool) -> Iterator[Finding]:
    if _PROVIDER_HINT.search(line):
        for kind, regex in _compiled_tokens():
            for m in regex.finditer(line):
                yield Finding(*m.span(1 if regex.groups else 0), kind)
    for r in runs:  # AWS secret access keys and their kin: 40 base64 characters as a whole token
        token = r.group().strip("=:.,")
        if len(token) == 40 and not set(token) & set("_.:~-") and _mixed(token) and _entropy(token) > 4.0:
            start = r.start() + r.group().index(token)
            yield Finding(start, start + 40, "aws-secret")
    if runs and (m := _BLOB_LINE.match(line)):
        blob = m.group(1)
        if _mixed(blob) and _entropy(blob) > 4.2:
            yield Finding(*m.span(1), "private-key")
    if "://" in line:
        for m in _URL_PASSWORD.finditer(line):
            if not _placeholder(m.group(1)):
                yield Finding(*m.span(1), "url-password")
        for m in _URL_TOKEN.finditer(line):
            if not _placeholder(m.group(1)) and any(c.isdigit() for c in m.group(1)):
                yield Finding(*m.span(1), "url-token")
    if "=" in line and ("?" in line or "&" in line):
        for m in _QUERY.finditer(line):
            if len(m.group(1)) >= 8 and not _placeholder(m.group(1)):
                yield Finding(*m.span(1), "query-key")
    if _CALL_HINT.search(line):
        for m in _CONSTRUCTOR.finditer(line):
            base = m.start(1)
            for lit in _LITERAL.finditer(m.group(1)):
                value = lit.group(2)  # a key has digits; "user,public_repo", "HS256" are options
                if _value_ok(value, "", False) and any(c.isdigit() for c in value) and len(set(value)) > 6:
                    yield Finding(base + lit.start(2), base + lit.end(2), "api-key")
    if "-u " in line or "--user" in line:
        for m in _CURL_USER.finditer(line):
            if not _placeholder(m.group(1)):
                yield Finding(*m.span(1), "password")
    if not keyword:
        return
    for regex in (_AUTH_HEADER, _BEARER):
        for m in regex.finditer(line):
            value = m.group(1)
            scheme = re.search(r"(?i)(?:bearer|token|basic|bot|apikey)\s+$", line[: m.start(1)])
            if not _placeholder(value) and (scheme or any(c.isdigit() for c in value)) and _entropy(value) > 2.5:
                yield Finding(*m.span(1), "auth-header")
    for m in _ENV_DEFAULT.finditer(line):
        if _value_ok(m.group(2), "", False):
            yield Finding(*m.span(2), "secret")
    for m in _INLINE_ENV.finditer(line):
        if _value_ok(m.group(3), "", True):
            yield Finding(*m.span(3), _kind_of_key(m.group(1)))
    for m in _CLI_FLAG.finditer(line):
        if not _placeholder(m.group(2)):
            yield Finding(*m.span(2), "password")
    matches = [_ASSIGN_CODE.finditer(line)]
    if (config or _ENV_LINE.match(line)) and (m := _ASSIGN_CONFIG.match(line)):
        matches.append(iter([m]))
    for it in matches:
        for m in it:
            value = m.group("v").rstrip()
            key = line[_key_before(line, m.start("k")) : m.end("k")]
            if _value_ok(value, key, config):
                yield Finding(m.start("v"), m.start("v") + len(value), _kind_of_key(key))
    if m := _HEX32_LINE.match(line):
        yield Finding(*m.span(1), "master-key")
    for r in runs:
        if len(r.group()) >= 32 and (m := _HEX32.search(r.group())) and len(r.group()) < 40:
            yield Finding(r.start() + m.start(1), r.start() + m.end(1), "master-key")


# --- detect-secrets -------------------------------------------------------------------------------

_DS_KINDS = {
    "AWS Access Key": "aws-access-key-id",
    "Artifactory Credentials": "artifactory-token",
    "Azure Storage Account access key": "azure-storage-key",
    "Basic Auth Credentials": "url-password",
    "Cloudant Credentials": "cloudant-key",
    "Discord Bot Token": "discord-token",
    "GitHub Token": "github-token",
    "GitLab Token": "gitlab-token",
    "Base64 High Entropy String": "high-entropy",
    "IBM Cloud IAM Key": "ibm-key",
    "IBM COS HMAC Credentials": "ibm-key",
    "JSON Web Token": "jwt",
    "Secret Keyword": "secret",
    "Mailchimp Access Key": "mailchimp-key",
    "NPM tokens": "npm-token",
    "OpenAI Token": "openai-key",
    "Private Key": "private-key",
    "PyPI Token": "pypi-token",
    "SendGrid API Key": "sendgrid-key",
    "Slack Token": "slack-token",
    "SoftLayer Credentials": "softlayer-key",
    "Square OAuth Secret": "square-token",
    "Stripe Access Key": "stripe-key",
    "Telegram Bot Token": "telegram-token",
    "Twilio API Key": "twilio-key",
}
# Hex entropy flags asset digests and commit ids; public IPs are not secrets.
_DS_SKIPPED = {"Hex High Entropy String", "Public IP (ipv4)"}


@lru_cache(maxsize=1)
def _ds_plugins() -> tuple[tuple[str, str, Any], ...]:
    """detect-secrets' fitting detectors, default settings (entropy limits included): (marker type,
    family — keyword, entropy or regex —, detector)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.keyword import KeywordDetector

    out = []
    for name, cls in get_mapping_from_secret_type_to_class().items():
        if name in _DS_SKIPPED:
            continue
        plugin = cls()
        family = (
            "keyword"
            if isinstance(plugin, KeywordDetector)
            else "entropy"
            if isinstance(plugin, HighEntropyStringsPlugin)
            else "regex"
        )
        out.append((_DS_KINDS.get(name, "secret"), family, plugin))
    return tuple(out)


@lru_cache(maxsize=256)
def _keyword_groups(filename: str) -> Any:
    from detect_secrets.plugins.keyword import QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP, REGEX_BY_FILETYPE
    from detect_secrets.util.filetype import determine_file_type

    return REGEX_BY_FILETYPE.get(determine_file_type(filename), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)


def _ds_findings(line: str, filename: str, runs: list[re.Match[str]], keyword: bool) -> Iterator[Finding]:
    long_run = any(len(r.group()) >= 20 for r in runs)
    tokenish = long_run or "://" in line or any(len(r.group()) >= 16 and _mixed(r.group()) for r in runs)
    for kind, family, plugin in _ds_plugins():
        if family == "keyword":
            if not keyword:
                continue
            values = list(plugin.analyze_string(line, denylist_regex_to_group=_keyword_groups(filename)))
            values = [v for v in values if v and _value_ok(v, "", True)]
        elif family == "entropy":
            if not long_run:
                continue
            values = [
                v
                for v in plugin.analyze_string(line)
                if len(v) >= 20 and _mixed(v) and plugin.calculate_shannon_entropy(v) > plugin.entropy_limit
            ]
        else:
            if not tokenish:
                continue
            values = [v for v in plugin.analyze_string(line) if v and len(v) >= 8]
        for value in values:
            start = line.find(value)
            while start >= 0:
                if kind == "high-entropy" and re.search(r"sha(?:256|384|512)-", line[max(0, start - 7) : start + 7]):
                    break  # a Subresource Integrity digest
                yield Finding(start, start + len(value), kind)
                start = line.find(value, start + 1)


# --- redaction ------------------------------------------------------------------------------------


def find_secrets(line: str, filename: str | None = None, config: bool | None = None) -> list[Finding]:
    """Secrets in one line (no newline), sorted by start; overlapping findings are all kept.
    `config` (default: from the file name; every check without one) adds the unquoted-value checks."""
    runs = [r for r in _RUN.finditer(line) if len(r.group()) >= 16]
    keyword = bool(_KEYWORD_HINT.search(line))
    if not (keyword or "://" in line or any(_mixed(r.group()) or len(r.group()) >= 20 for r in runs)):
        return []  # most lines of code: nothing any rule could match
    if config is None:
        config = filename is None or is_config_file(filename)
    found = [*_own_findings(line, config, runs, keyword), *_ds_findings(line, filename or "snippet.yml", runs, keyword)]
    markers = [m.span() for m in _MARKER_RE.finditer(line)]
    found = [f for f in found if f.end > f.start and not any(s < f.end and f.start < e for s, e in markers)]
    return sorted(found, key=lambda f: (f.start, -f.end))


def _redact_line(line: str, filename: str | None, config: bool) -> str:
    findings = find_secrets(line, filename, config)
    if not findings:
        return line
    out, pos = [], 0
    for f in findings:
        if f.end <= pos:
            continue  # inside a span already redacted
        if f.start < pos:  # overlaps the previous one: extend it
            pos = f.end
            continue
        out.append(line[pos : f.start] + MARKER.format(f.kind))
        pos = f.end
    out.append(line[pos:])
    return "".join(out)


def redact(text: str, filename: str | None = None) -> str:
    """`text` with every secret value replaced by a typed marker; everything else as it was.

    `filename` (workspace-relative or absolute) picks format-aware checks: YAML/env/compose/Kamal/CI
    files have their unquoted `*_PASSWORD: value` lines checked too. Without one, every check runs.
    """
    if not text:
        return text
    if "-----" in text:
        text = _PRIVATE_KEY.sub(_key_body, text)
        text = _PRIVATE_KEY_TAIL.sub(_key_body, text)
    config = filename is None or is_config_file(filename)
    return "".join(
        _redact_line(line.rstrip("\r\n"), filename, config) + line[len(line.rstrip("\r\n")) :]
        for line in text.splitlines(keepends=True)
    )


def is_redacted(text: str) -> bool:
    """Whether `text` holds a redaction marker."""
    return bool(_MARKER_RE.search(text))


def redact_fim(prefix: str, middle: str, suffix: str, filename: str | None = None) -> tuple[str, str, str]:
    """`redact` for text cut at a cursor: a secret the cut splits in two (the cursor inside a key, a
    suggestion completing one) is found on the joined line and each piece replaced by its marker."""
    joined = prefix + middle + suffix
    cuts = (len(prefix), len(prefix) + len(middle))
    start = prefix.rfind("\n") + 1
    end = joined.find("\n", cuts[1])
    end = len(joined) if end < 0 else end
    config = filename is None or is_config_file(filename)
    spans: list[tuple[int, int, str]] = []
    pos = start
    for line in joined[start:end].split("\n"):
        for f in find_secrets(line, filename, config):
            a, b = pos + f.start, pos + f.end
            if any(a < c < b for c in cuts):
                spans.append((a, b, f.kind))
        pos += len(line) + 1
    parts = [prefix, middle, suffix]
    if spans:
        bounds = [0, cuts[0], cuts[1], len(joined)]
        for i in range(3):
            lo, hi = bounds[i], bounds[i + 1]
            text, done = [], lo
            for a, b, kind in sorted(spans):
                a, b = max(a, lo, done), min(b, hi)
                if a >= b:
                    continue
                text.append(joined[done:a] + MARKER.format(kind))
                done = b
            text.append(joined[done:hi])
            parts[i] = "".join(text)
    return redact(parts[0], filename), redact(parts[1], filename), redact(parts[2], filename)
