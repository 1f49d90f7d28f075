"""Shapes beyond the planted corpus (written after it, as a check that the rules generalise): each line
holds one generated fake secret that must not survive; the lines marked safe must come back unchanged."""

from __future__ import annotations

import random
import string

import pytest

from hotwire_assist.core.privacy import redact

R = random.Random(99)
A = string.ascii_letters + string.digits


def t(n: int, alphabet: str = A) -> str:
    need = [f for f in (str.isdigit, str.isupper, str.islower) if any(f(c) for c in alphabet)]
    while True:
        s = "".join(R.choice(alphabet) for _ in range(n))
        if all(any(f(c) for c in s) for f in need):
            return s


def hx(n: int) -> str:
    return t(n, "0123456789abcdef")


UPPER = string.ascii_uppercase + string.digits
CASES = [
    (
        "config/initializers/algolia.rb",
        'AlgoliaSearch.configuration = {{ application_id: "ABCD1234EF", api_key: "{}" }}',
        hx(32),
    ),
    ("docker-compose.yml", "      - POSTGRES_PASSWORD={}", t(16)),
    ("docker-compose.yml", "      MYSQL_ROOT_PASSWORD: '{}'", t(14)),
    (".github/workflows/deploy.yml", "          AWS_ACCESS_KEY_ID: {}", "AK" + "IA" + t(16, UPPER)),
    (".github/workflows/deploy.yml", "          aws-secret-access-key: {}", t(40, A + "+/")),
    (".gitlab-ci.yml", """  DOCKER_AUTH_CONFIG: '{{"auths":{{"registry.example.com":{{"auth":"{}"}}}}}}'""", t(28)),
    ("config/deploy.yml", "  password: {}", "dckr" + "_pat_" + t(27)),
    ("app/services/geocoder.rb", 'Geocoder.configure(lookup: :google, api_key: "{}")', "AI" + "za" + t(35, A + "_-")),
    (
        "app/services/maps.rb",
        'URI("https://maps.googleapis.com/maps/api/geocode/json?address=#{{q}}&key={}")',
        "AI" + "za" + t(35, A + "_-"),
    ),
    (
        "app/views/layouts/_map.html.erb",
        '<script src="https://api.mapbox.com/v4/x.json?access_token={}"></script>',
        "sk" + ".eyJ1" + t(60),
    ),
    ("config/initializers/rollbar.rb", "  config.access_token = '{}'", hx(32)),
    ("config/initializers/bugsnag.rb", '  config.api_key = "{}"', hx(32)),
    ("config/newrelic.yml", "  license_key: {}", hx(40)),
    ("config/gcs.json", '  "private_key_id": "{}",', hx(40)),
    ("lib/tasks/s3.rake", "sh 'aws configure set aws_secret_access_key {}'", t(40, A + "+/")),
    ("app/models/user.rb", 'self.otp_secret = "{}"', t(32, string.ascii_uppercase + "234567")),
    ("Procfile", "web: SECRET_KEY_BASE={} bin/rails server", hx(64)),
    ("README.md", "    heroku config:set STRIPE_SECRET_KEY={}", "sk" + "_live_" + t(24)),
    ("config/database.yml", "  url: mysql2://app:{}@db.internal/app", t(16)),
    ("config/sidekiq.yml", "  :password: {}", t(18)),
    ("spec/rails_helper.rb", 'ENV["OPENAI_ACCESS_TOKEN"] = "{}"', "sk" + "-" + t(48)),
    ("app/javascript/controllers/chat_controller.js", "createConsumer(`wss://ws.example.com/cable?token={}`)", t(32)),
    ("config/initializers/session_store.rb", "Rails.application.config.secret_token = '{}'", hx(128)),
    ("config/application.rb", "    config.active_record.encryption.deterministic_key = '{}'", t(32)),
    ("config/application.rb", "    config.active_record.encryption.key_derivation_salt = '{}'", t(32)),
    (
        "app/controllers/webhooks_controller.rb",
        'Stripe::Webhook.construct_event(payload, sig, "{}")',
        "wh" + "sec_" + t(32),
    ),
    ("bin/ci", "curl -u deploy:{} https://ci.example.com/job/build", t(16)),
    ("app/services/tokens.rb", 'JWT.encode(payload, "{}", "HS256")', t(24)),
    ("config/initializers/devise.rb", '  config.omniauth :github, "Iv1.{}", "{}"', hx(40)),
]
SAFE = [
    ("config/storage.yml", "  credentials: <%= Rails.root.join('gcs.json') %>"),
    ("config/gcs.json", '  "client_email": "svc@proj.iam.gserviceaccount.com",'),
    ("config/cable.yml", '  url: <%= ENV.fetch("REDIS_URL") { "redis://localhost:6379/1" } %>'),
    ("config/initializers/devise.rb", "  # config.omniauth_path_prefix = '/my_engine/users/auth'"),
    ("config/initializers/devise.rb", "  config.omniauth :github, 'APP_ID', 'APP_SECRET', scope: 'user,public_repo'"),
    ("app/models/post.rb", 'belongs_to :author, class_name: "User", foreign_key: "author_id"'),
    ("app/models/user.rb", "  encrypts :otp_secret, deterministic: true"),
    (
        "config/initializers/filter_parameter_logging.rb",
        "  :passw, :email, :secret, :token, :_key, :crypt, :salt, :otp, :ssn",
    ),
]


@pytest.mark.parametrize(("name", "template", "secret"), CASES, ids=[c[0] + ":" + c[1][:30] for c in CASES])
def test_the_secret_goes(name, template, secret):
    line = template.format(*([t(10)] if template.count("{}") == 2 else []), secret)
    out = redact(line, name)
    assert secret not in out and "[REDACTED:" in out


@pytest.mark.parametrize(("name", "line"), SAFE)
def test_ordinary_lines_stay(name, line):
    assert redact(line, name) == line
