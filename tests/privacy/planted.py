"""A realistic Rails app with planted fake secrets, generated at test time.

Every value is random (seeded) and built here, so no secret-shaped literal sits in the repository for a
scanner to flag: provider prefixes are assembled from pieces. `build(root)` writes the app and returns
what was planted where; the never-capture files hold secrets too, which must never be read at all.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


@dataclass
class Planted:
    """The corpus: text files with their secrets, never-capture files, and user globs to configure."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)  # relative path → text (redactable files)
    secrets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # path → [(shape, value)]
    never: dict[str, str] = field(default_factory=dict)  # never-capture files (path → text)
    never_secrets: list[str] = field(default_factory=list)
    user_globs: list[str] = field(default_factory=list)

    def all_secrets(self) -> list[tuple[str, str, str]]:
        return [(path, shape, v) for path, items in self.secrets.items() for shape, v in items]

    def every_value(self) -> list[str]:
        return [v for _, _, v in self.all_secrets()] + self.never_secrets


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, alphabet: str, n: int) -> str:
        while True:
            s = "".join(self.rng.choice(alphabet) for _ in range(n))
            if alphabet not in (ALNUM, ALNUM + "+/") or (
                any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
            ):
                return s

    def hexs(self, n: int) -> str:
        return self.pick(HEX, n)

    def password(self) -> str:
        return self.pick(ALNUM, 14) + self.rng.choice("-_.!") + self.pick(ALNUM, 5)

    def aws_id(self) -> str:
        return "AK" + "IA" + self.pick(string.ascii_uppercase + string.digits, 16)

    def aws_secret(self) -> str:
        return self.pick(ALNUM + "+/", 40)

    def jwt(self) -> str:
        def part(obj: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        claims = {"sub": self.hexs(12), "iat": self.rng.randrange(10**9, 2 * 10**9), "role": "service"}
        return part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims) + "." + self.pick(ALNUM + "_-", 43)

    def uuid(self) -> str:
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def pem_body(self) -> list[str]:
        raw = bytes(self.rng.randrange(256) for _ in range(300))
        text = base64.b64encode(raw).decode()
        return [text[i : i + 64] for i in range(0, len(text), 64)]


def _templates(g: _Gen) -> dict[str, tuple[str, dict[str, tuple[str, str]]]]:
    """path → (template, {field: (shape, value)}); ordinary lines around each secret, as in real apps."""
    pw, s = g.password, {}

    def v(shape: str, value: str) -> tuple[str, str]:
        return (shape, value)

    pem = g.pem_body()
    s["config/database.yml"] = (
        """default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

development:
  <<: *default
  database: shop_development

test:
  <<: *default
  database: shop_test

production:
  <<: *default
  database: shop_production
  username: shop
  password: {db_pw}
  replica:
    url: postgres://shop_ro:{ro_pw}@replica.internal:5432/shop_production
""",
        {"db_pw": v("yaml-password", pw()), "ro_pw": v("url-password", pw())},
    )
    s["config/storage.yml"] = (
        """test:
  service: Disk
  root: <%= Rails.root.join("tmp/storage") %>

local:
  service: Disk
  root: <%= Rails.root.join("storage") %>

amazon:
  service: S3
  access_key_id: {aws_id}
  secret_access_key: {aws_secret}
  region: us-east-1
  bucket: shop-production-<%= Rails.env %>
""",
        {"aws_id": v("aws-access-key-id", g.aws_id()), "aws_secret": v("aws-secret-yaml", g.aws_secret())},
    )
    s["config/initializers/aws.rb"] = (
        """# frozen_string_literal: true

Aws.config.update(
  region: "eu-west-1",
  credentials: Aws::Credentials.new("{aws_id}", "{aws_secret}")
)

S3_BUCKET = Aws::S3::Resource.new.bucket(ENV.fetch("S3_BUCKET", "shop-uploads"))
""",
        {"aws_id": v("aws-access-key-id", g.aws_id()), "aws_secret": v("aws-secret-argument", g.aws_secret())},
    )
    s["config/initializers/stripe.rb"] = (
        """Rails.configuration.stripe = {
  publishable_key: ENV["STRIPE_PUBLISHABLE_KEY"],
  secret_key: ENV["STRIPE_SECRET_KEY"]
}

Stripe.api_key = "{stripe}"
STRIPE_WEBHOOK_SECRET = "{whsec}"
Stripe.api_version = "2024-06-20"
""",
        {
            "stripe": v("stripe", "sk" + "_live_" + g.pick(ALNUM, 24)),
            "whsec": v("stripe-webhook", "wh" + "sec_" + g.pick(ALNUM, 32)),
        },
    )
    s["docker-compose.yml"] = (
        """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: {pg_pw}
    volumes:
      - pgdata:/var/lib/postgresql/data
  redis:
    image: redis:7
    command: redis-server --requirepass {redis_pw}
  web:
    build: .
    command: bin/rails server -b 0.0.0.0
    environment:
      RAILS_ENV: production
      RAILS_MASTER_KEY: {master}
      REDIS_URL: redis://:{redis_url_pw}@redis:6379/0
    ports:
      - "3000:3000"
    depends_on:
      - db
      - redis
volumes:
  pgdata:
""",
        {
            "pg_pw": v("compose-password", pw()),
            "redis_pw": v("compose-command-password", pw()),
            "master": v("master-key-compose", g.hexs(32)),
            "redis_url_pw": v("url-password", pw()),
        },
    )
    s["config/deploy.yml"] = (
        """service: shop
image: acme/shop

servers:
  web:
    - 192.168.0.1
  job:
    hosts:
      - 192.168.0.1
    cmd: bin/jobs

proxy:
  ssl: true
  host: shop.example.com

registry:
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD

env:
  secret:
    - RAILS_MASTER_KEY
  clear:
    SOLID_QUEUE_IN_PUMA: true
    SMTP_PASSWORD: {smtp_pw}
    SENTRY_AUTH_TOKEN: {sentry_token}

builder:
  arch: amd64
""",
        {"smtp_pw": v("kamal-password", pw()), "sentry_token": v("kamal-token", "sntry" + "s_" + g.pick(ALNUM, 60))},
    )
    s[".github/workflows/ci.yml"] = (
        """name: CI

on:
  pull_request:
  push:
    branches: [ main ]

jobs:
  test:
    runs-on: ubuntu-latest
    env:
      RAILS_ENV: test
      RAILS_MASTER_KEY: {master}
      AWS_SECRET_ACCESS_KEY: {aws_secret}
      GITHUB_TOKEN: {ghp}
    steps:
      - uses: actions/checkout@v4
      - uses: ruby/setup-ruby@v1
        with:
          bundler-cache: true
      - run: bin/rails db:setup
      - run: bin/rails test
""",
        {
            "master": v("master-key-ci", g.hexs(32)),
            "aws_secret": v("aws-secret-ci", g.aws_secret()),
            "ghp": v("github-classic", "gh" + "p_" + g.pick(ALNUM, 36)),
        },
    )
    s["app/services/github_client.rb"] = (
        """class GithubClient
  API = "https://api.github.com"

  def initialize(repo)
    @repo = repo
    @octokit = Octokit::Client.new(access_token: "{ghp}")
  end

  def issues
    HTTP.headers("Authorization" => "Bearer {fine}", "Accept" => "application/vnd.github+json")
        .get("#{API}/repos/#{@repo}/issues")
  end
end
""",
        {
            "ghp": v("github-classic", "gh" + "p_" + g.pick(ALNUM, 36)),
            "fine": v("github-fine-grained", "github" + "_pat_" + g.pick(ALNUM, 22) + "_" + g.pick(ALNUM, 59)),
        },
    )
    s["app/javascript/controllers/map_controller.js"] = (
        """import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  static targets = ["canvas"]
  static values = { lat: Number, lng: Number }

  connect() {
    const script = document.createElement("script")
    script.src = "https://maps.googleapis.com/maps/api/js?key={gkey}&callback=initMap"
    document.head.appendChild(script)
  }
}
""",
        {"gkey": v("google-key-query", "AI" + "za" + g.pick(ALNUM + "_-", 35))},
    )
    s["app/views/layouts/application.html.erb"] = (
        """<!DOCTYPE html>
<html>
  <head>
    <title><%= content_for(:title) || "Shop" %></title>
    <meta name="viewport" content="width=device-width,initial-scale=1">
    <%= csrf_meta_tags %>
    <%= csp_meta_tag %>
    <%= stylesheet_link_tag :app, "data-turbo-track": "reload" %>
    <%= javascript_importmap_tags %>
    <script src="https://maps.googleapis.com/maps/api/js?key={gkey}"></script>
    <script src="https://browser.sentry-cdn.com/7.0.0/bundle.min.js" data-dsn="https://{dsn}@o450.ingest.sentry.io/5012"></script>
  </head>
  <body>
    <%= render "shared/flash" %>
    <main class="container mx-auto mt-28 px-5 flex">
      <%= yield %>
    </main>
  </body>
</html>
""",
        {
            "gkey": v("google-key-script-src", "AI" + "za" + g.pick(ALNUM + "_-", 35)),
            "dsn": v("sentry-dsn", g.hexs(32)),
        },
    )
    s["app/services/slack_notifier.rb"] = (
        """class SlackNotifier
  WEBHOOK_URL = "https://hooks.slack.com/services/T{t}/B{b}/{hook}"

  def self.client
    Slack::Web::Client.new(token: "{xoxb}")
  end

  def self.ping(text)
    Net::HTTP.post(URI(WEBHOOK_URL), { text: text }.to_json, "Content-Type" => "application/json")
  end
end
""",
        {
            "t": ("", g.pick(string.ascii_uppercase + string.digits, 8)),
            "b": ("", g.pick(string.ascii_uppercase + string.digits, 10)),
            "hook": v("slack-webhook", g.pick(ALNUM, 24)),
            "xoxb": v(
                "slack-bot",
                "xo" + "xb-" + g.pick(string.digits, 12) + "-" + g.pick(string.digits, 13) + "-" + g.pick(ALNUM, 24),
            ),
        },
    )
    s["app/services/sms_sender.rb"] = (
        """class SmsSender
  def initialize
    @client = Twilio::REST::Client.new("AC{sid}", "{auth}")
    @api_key = "{sk}"
  end

  def deliver(to:, body:)
    @client.messages.create(from: "+15005550006", to: to, body: body)
  end
end
""",
        {
            "sid": ("", g.hexs(32)),
            "auth": v("twilio-auth-token-argument", g.hexs(32)),
            "sk": v("twilio-api-key", "S" + "K" + g.hexs(32)),
        },
    )
    s["config/initializers/internal_api.rb"] = (
        """Rails.application.config.to_prepare do
  InternalApi.configure do |config|
    config.base_url = "https://internal.example.com/api"
    config.service_jwt = "{jwt}"
    config.timeout = 5
  end
end
""",
        {"jwt": v("jwt", g.jwt())},
    )
    s["lib/tasks/deploy.rake"] = (
        """namespace :deploy do
  desc "Notify the deploy dashboard"
  task notify: :environment do
    sh "curl -s -X POST -H 'Authorization: Bearer {bearer}' https://deploys.example.com/api/v1/deploys"
  end

  desc "Mirror the repository"
  task mirror: :environment do
    sh "git clone https://x-access-token:{gh_app}@github.com/acme/shop.git tmp/mirror"
  end
end
""",
        {
            "bearer": v("bearer-header", g.pick(ALNUM, 40)),
            "gh_app": v("github-app-url-token", "gh" + "s_" + g.pick(ALNUM, 36)),
        },
    )
    s["config/initializers/shopify.rb"] = (
        """ShopifyAPI::Context.setup(
  api_key: "{api_key}",
  api_secret_key: "{api_secret}",
  host: "https://shop.example.com",
  scope: "read_orders,read_products",
  is_embedded: false,
  api_version: "2024-07"
)

SHOP_SESSION = ShopifyAPI::Auth::Session.new(shop: "acme.myshopify.com", access_token: "{shpat}")
""",
        {
            "api_key": v("shopify-api-key", g.hexs(32)),
            "api_secret": v("shopify-api-secret", g.hexs(32)),
            "shpat": v("shopify-access-token", "shp" + "at_" + g.hexs(32)),
        },
    )
    s["config/secrets.yml"] = (
        """# Legacy secrets file (Rails < 5.2 style), kept for the old admin engine.
development:
  secret_key_base: {skb_dev}

production:
  secret_key_base: {skb_prod}
  admin_engine_host: admin.example.com
""",
        {"skb_dev": v("secret-key-base", g.hexs(128)), "skb_prod": v("secret-key-base", g.hexs(128))},
    )
    s["Dockerfile"] = (
        """# syntax=docker/dockerfile:1
ARG RUBY_VERSION=3.3.4
FROM docker.io/library/ruby:$RUBY_VERSION-slim AS base

WORKDIR /rails
ENV RAILS_ENV="production" \\
    BUNDLE_DEPLOYMENT="1" \\
    BUNDLE_PATH="/usr/local/bundle"
ENV BUNDLE_GEMS__CONTRIBSYS__COM={contribsys}
ENV SECRET_KEY_BASE_DUMMY=1

COPY Gemfile Gemfile.lock ./
RUN bundle install && rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache
COPY . .
RUN ./bin/rails assets:precompile
CMD ["./bin/thrust", "./bin/rails", "server"]
""",
        {"contribsys": v("gem-server-credentials", g.hexs(8) + ":" + g.hexs(8))},
    )
    s["config/environments/production.rb"] = (
        """require "active_support/core_ext/integer/time"

Rails.application.configure do
  config.enable_reloading = false
  config.eager_load = true
  config.consider_all_requests_local = false
  config.action_controller.perform_caching = true
  config.active_storage.service = :amazon
  config.force_ssl = true
  config.log_tags = [ :request_id ]
  config.action_mailer.default_url_options = { host: "shop.example.com" }
  config.action_mailer.smtp_settings = {
    address: "smtp.sendgrid.net",
    user_name: "apikey",
    password: "{sendgrid}",
    port: 587
  }
  config.active_record.encryption.primary_key = "{ar_primary}"
  config.i18n.fallbacks = true
end
""",
        {
            "sendgrid": v("sendgrid", "S" + "G." + g.pick(ALNUM + "_-", 22) + "." + g.pick(ALNUM + "_-", 43)),
            "ar_primary": v("encryption-key", g.pick(ALNUM, 32)),
        },
    )
    s["app/models/payment_gateway.rb"] = (
        """class PaymentGateway
  SIGNING_KEY = <<~PEM
    -----BEGIN RSA PRIVATE KEY-----
{pem}
    -----END RSA PRIVATE KEY-----
  PEM

  def sign(payload)
    OpenSSL::PKey::RSA.new(SIGNING_KEY).sign(OpenSSL::Digest.new("SHA256"), payload)
  end
end
""",
        {"pem": ("private-key", "\n".join("    " + line for line in pem))},
    )
    s["config/initializers/openai.rb"] = (
        """OpenAI.configure do |config|
  config.request_timeout = 240
end

AI_CLIENT = OpenAI::Client.new(access_token: "{openai}", log_errors: Rails.env.development?)
CLAUDE = Anthropic::Client.new(api_key: "{anthropic}")
""",
        {
            "openai": v("openai", "sk" + "-proj-" + g.pick(ALNUM + "_-", 48)),
            "anthropic": v("anthropic", "sk" + "-ant-api03-" + g.pick(ALNUM + "_-", 93)),
        },
    )
    s["app/jobs/inventory_sync_job.rb"] = (
        """class InventorySyncJob < ApplicationJob
  queue_as :default

  def perform(page = 1)
    response = HTTParty.get("https://api.supplier.example/v1/items?api_key={qkey}&page=#{page}")
    conn = Faraday.new(url: "https://api.warehouse.example", headers: { "X-Api-Key" => "{xkey}" })
    conn.get("/stock").body.each { |row| Product.find_by(sku: row["sku"])&.update!(stock: row["qty"]) }
    response
  end
end
""",
        {"qkey": v("query-api-key", g.pick(ALNUM, 32)), "xkey": v("x-api-key-header", g.pick(ALNUM, 32))},
    )
    s["config/cable.yml"] = (
        """development:
  adapter: async

test:
  adapter: test

production:
  adapter: redis
  url: redis://default:{pw}@redis.internal:6379/1
  channel_prefix: shop_production
""",
        {"pw": v("url-password", pw())},
    )
    s["config/routes.rb"] = (
        """Rails.application.routes.draw do
  mount Sidekiq::Web => "/sidekiq", constraints: ->(req) { req.session[:admin] }
  resources :products do
    resources :variants, only: %i[ index show ]
  end
  get "up" => "rails/health#show", as: :rails_health_check
  root "products#index"
end

Sidekiq::Web.use Rack::Auth::Basic do |username, password|
  username == "admin" && password == "{sidekiq_pw}"
end
""",
        {"sidekiq_pw": v("comparison-password", pw())},
    )
    s["app/javascript/api_client.js"] = (
        """const apiKey = "{js_key}"

export async function fetchProducts(token) {
  const response = await fetch(`/api/products`, {
    headers: { Authorization: `Bearer ${token}`, "X-Client": apiKey }
  })
  return response.json()
}
""",
        {"js_key": v("js-api-key", g.pick(ALNUM, 32))},
    )
    s["spec/support/vcr.rb"] = (
        """VCR.configure do |c|
  c.cassette_library_dir = "spec/fixtures/vcr_cassettes"
  c.hook_into :webmock
  c.filter_sensitive_data("<SHOPIFY_TOKEN>") { ENV["SHOPIFY_TOKEN"] }
end

SHOPIFY_TEST_ACCESS_TOKEN = "{shpat}"
""",
        {"shpat": v("shopify-access-token", "shp" + "at_" + g.hexs(32))},
    )
    s["config/environments/development.rb"] = (
        """Rails.application.configure do
  config.enable_reloading = true
  config.eager_load = false
  config.server_timing = true
  config.action_mailer.raise_delivery_errors = false
  config.hosts << "shop.test"
end

ENV["GITLAB_TOKEN"] ||= "{glpat}"
""",
        {"glpat": v("gitlab", "gl" + "pat-" + g.pick(ALNUM + "_-", 20))},
    )
    s["README.md"] = (
        """# Shop

## Setup

```sh
bin/setup
export SLACK_BOT_TOKEN={xoxb}
echo "//registry.npmjs.org/:_authToken={npm}" >> ~/.npmrc
bin/dev
```

Open http://localhost:3000 and sign in as `admin@example.com` / `password`.
""",
        {
            "xoxb": v(
                "slack-bot-env",
                "xo" + "xb-" + g.pick(string.digits, 12) + "-" + g.pick(string.digits, 13) + "-" + g.pick(ALNUM, 24),
            ),
            "npm": v("npm", "np" + "m_" + g.pick(ALNUM, 36)),
        },
    )
    s["bin/deploy"] = (
        """#!/usr/bin/env bash
set -euo pipefail

export HEROKU_API_KEY={heroku}
export DATABASE_URL=postgres://deploy:{db_pw}@db.internal:5432/shop
bin/rails db:migrate
kamal deploy
""",
        {"heroku": v("heroku-uuid-env", g.uuid()), "db_pw": v("url-password", pw())},
    )
    s["config/initializers/sentry.rb"] = (
        """Sentry.init do |config|
  config.dsn = "https://{dsn}@o4507.ingest.sentry.io/4507123"
  config.breadcrumbs_logger = [:active_support_logger, :http_logger]
  config.traces_sample_rate = 0.1
end
""",
        {"dsn": v("sentry-dsn", g.hexs(32))},
    )
    s["app/views/shared/_widgets.html.erb"] = (
        """<div id="<%= dom_id(@product, :widgets) %>" class="flex flex-col gap-2">
  <%= turbo_frame_tag "reviews", src: product_reviews_path(@product), loading: :lazy %>
  <script src="https://cdn.reviews.example/widget.js?token={wtoken}" async></script>
  <%= link_to "Edit", edit_product_path(@product), data: { turbo_frame: "_top" } %>
</div>
""",
        {"wtoken": v("query-token", g.pick(ALNUM, 28))},
    )
    s["config/initializers/telegram.rb"] = (
        """TELEGRAM_BOT = Telegram::Bot::Client.new("{tg}")
""",
        {"tg": v("telegram", g.pick(string.digits, 10) + ":A" + "A" + g.pick(ALNUM + "_-", 33))},
    )
    s["config/application.yml"] = (
        """# Figaro
STRIPE_SECRET_KEY: "{stripe}"
MAILCHIMP_API_KEY: {mailchimp}
AWS_SECRET_ACCESS_KEY: {aws_secret}
APP_HOST: shop.example.com
""",
        {
            "stripe": v("stripe-figaro", "sk" + "_live_" + g.pick(ALNUM, 24)),
            "mailchimp": v("mailchimp", g.hexs(32) + "-us6"),
            "aws_secret": v("aws-secret-figaro", g.aws_secret()),
        },
    )
    s["config/initializers/mailgun.rb"] = (
        """ActionMailer::Base.add_delivery_method :mailgun, Mailgun::Railgun::Mailer,
  api_key: "key-{mg}",
  domain: "mg.example.com"
""",
        {"mg": v("mailgun", g.hexs(32))},
    )
    s["config/initializers/omniauth.rb"] = (
        """Rails.application.config.middleware.use OmniAuth::Builder do
  provider :developer unless Rails.env.production?
  provider :github, "{gh_id}", "{gh_secret}", scope: "user:email"
end

SESSION_JWT_KEY = ENV.fetch("SESSION_JWT_SECRET", "{jwt_fallback}")

def sign_session(payload)
  JWT.encode(payload, "{jwt_key}", "HS256")
end
""",
        {
            "gh_id": ("", "Iv1." + g.hexs(16)),
            "gh_secret": v("omniauth-client-secret-hex", g.hexs(40)),
            "jwt_fallback": v("env-fetch-default", g.password()),
            "jwt_key": v("jwt-signing-key-argument", g.password()),
        },
    )
    s["bin/trigger-ci"] = (
        """#!/usr/bin/env bash
set -euo pipefail
# Kick the nightly build on the old Jenkins box.
curl -fsS -u deploy:{jenkins_pw} "https://ci.example.com/job/shop/build"
curl -fsS -H "Authorization: Basic {basic}" https://status.example.com/api/ping
""",
        {
            "jenkins_pw": v("curl-user-password", g.password()),
            "basic": v("basic-auth-header", base64.b64encode(f"ops:{g.password()}".encode()).decode()),
        },
    )
    return s


ORDINARY_FILES = {
    "app/controllers/products_controller.rb": """class ProductsController < ApplicationController
  before_action :set_product, only: %i[ show edit update destroy ]

  def index
    @products = Product.order(created_at: :desc).page(params[:page])
  end

  def create
    @product = Product.new(product_params)
    respond_to do |format|
      if @product.save
        format.turbo_stream
        format.html { redirect_to @product, notice: "Product was created." }
      else
        format.html { render :new, status: :unprocessable_entity }
      end
    end
  end

  private
    def set_product
      @product = Product.find(params.expect(:id))
    end

    def product_params
      params.expect(product: [ :title, :price, :sku, :api_token_digest ])
    end
end
""",
    "app/controllers/sessions_controller.rb": """class SessionsController < ApplicationController
  allow_unauthenticated_access only: %i[ new create ]
  rate_limit to: 10, within: 3.minutes, only: :create

  def create
    if user = User.authenticate_by(params.permit(:email_address, :password))
      start_new_session_for user
      redirect_to after_authentication_url
    else
      redirect_to new_session_path, alert: "Try another email address or password."
    end
  end

  def destroy
    terminate_session
    redirect_to new_session_path
  end
end
""",
    "app/views/sessions/new.html.erb": """<%= form_with url: session_path, class: "contents" do |form| %>
  <%= form.email_field :email_address, required: true, autofocus: true, autocomplete: "username" %>
  <%= form.password_field :password, required: true, autocomplete: "current-password", maxlength: 72 %>
  <%= form.submit "Sign in", class: "btn btn-primary" %>
<% end %>
<%= link_to "Forgot password?", new_password_path %>
""",
    "test/fixtures/users.yml": """one:
  email_address: one@example.com
  password_digest: <%= BCrypt::Password.create("password") %>

two:
  email_address: two@example.com
  password_digest: <%= BCrypt::Password.create("password") %>
""",
    "config/importmap.rb": """pin "application"
pin "@hotwired/turbo-rails", to: "turbo.min.js"
pin "@hotwired/stimulus", to: "stimulus.min.js"
pin "@hotwired/stimulus-loading", to: "stimulus-loading.js"
pin_all_from "app/javascript/controllers", under: "controllers"
pin "trix", integrity: "sha384-Zz7GoTqJ8jW7oFbmNbbaRn9Ld0cOyaR1ceQhdHmvnFv2uS5Ox6yLdsQxr0iJuW2R"
""",
    "app/views/products/show.html.erb": """<%= turbo_stream_from @product %>
<div id="<%= dom_id @product %>" data-controller="gallery" data-gallery-index-value="0">
  <%= image_tag "logo-5d41402abc4b2a76b9719d911017c592d0d6a8a0e93a4b1e2f6c7d8e9f0a1b2c.png", alt: "Shop" %>
  <%= link_to "Order 3f2504e0-4f89-41d3-9a0c-0305e82c3301", "/orders/3f2504e0-4f89-41d3-9a0c-0305e82c3301" %>
  <p>Built from commit 9fceb02d0ae598e95dc970b74767f19372d61af8.</p>
  <%= render @product.variants %>
</div>
""",
    "app/models/user.rb": """class User < ApplicationRecord
  has_secure_password
  has_secure_token :api_token
  has_many :sessions, dependent: :destroy
  belongs_to :account, foreign_key: "account_uuid", primary_key: "uuid"

  normalizes :email_address, with: ->(e) { e.strip.downcase }
  validates :password, length: { minimum: 12 }, allow_nil: true

  def self.find_by_token(token)
    find_by(api_token: token)
  end
end
""",
    "app/javascript/controllers/password_visibility_controller.js": """import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  static targets = ["input", "icon"]

  toggle() {
    const hidden = this.inputTarget.type === "password"
    this.inputTarget.type = hidden ? "text" : "password"
    this.iconTarget.classList.toggle("hidden", !hidden)
  }
}
""",
}


def build(root: Path, seed: int = 16) -> Planted:
    """Write the corpus under `root` (a git repository, with nested ignore files) and say what is where."""
    g = _Gen(seed)
    out = Planted(root)
    for rel, (template, fields) in _templates(g).items():
        text = template
        for name, (shape, value) in fields.items():
            text = text.replace("{" + name + "}", value)
            if shape == "private-key":
                out.secrets.setdefault(rel, []).extend((shape, line.strip()) for line in value.splitlines())
            elif shape:
                out.secrets.setdefault(rel, []).append((shape, value))
        out.files[rel] = text
    out.files.update(ORDINARY_FILES)

    master = g.hexs(32)
    skb = g.hexs(128)
    token = "shp" + "at_" + g.hexs(32)
    never = {
        ".env": f"DATABASE_URL=postgres://shop:{g.password()}@localhost/shop\nSECRET_KEY_BASE={skb}\n",
        ".env.production": f"STRIPE_SECRET_KEY=sk_live_{g.pick(ALNUM, 24)}\n",
        "config/master.key": master + "\n",
        "config/credentials/production.key": g.hexs(32) + "\n",
        "config/credentials.yml": f"secret_key_base: {skb}\naws:\n  secret_access_key: {g.aws_secret()}\n",
        "config/credentials.yml.enc": g.pick(ALNUM + "+/", 120) + "--" + g.pick(ALNUM, 24) + "\n",
        ".kamal/secrets": f"KAMAL_REGISTRY_PASSWORD={g.password()}\nRAILS_MASTER_KEY={master}\n",
        ".kamal/secrets.staging": f"RAILS_MASTER_KEY={g.hexs(32)}\n",
        "spec/fixtures/vcr_cassettes/shopify_orders.yml": (
            "http_interactions:\n- request:\n    method: get\n    uri: https://acme.myshopify.com/admin/api/orders.json\n"
            f"    headers:\n      X-Shopify-Access-Token:\n      - {token}\n"
        ),
        "certs/server.pem": "-----BEGIN PRIVATE KEY-----\n" + "\n".join(g.pem_body()) + "\n-----END PRIVATE KEY-----\n",
        "config/apns.p12": g.pick(ALNUM, 64) + "\n",
        "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(g.pem_body()) + "\n",
        ".netrc": f"machine api.heroku.com\n  login ops@example.com\n  password {g.uuid()}\n",
        ".npmrc": f"//registry.npmjs.org/:_authToken=npm_{g.pick(ALNUM, 36)}\n",
        ".pypirc": f"[pypi]\n  username = __token__\n  password = pypi-{g.pick(ALNUM, 60)}\n",
        # ignored by a nested .gitignore, by .git/info/exclude, by a user glob
        "vendor/engines/billing/notes.txt": f"staging admin password: {g.password()}\n",
        "notes/private.md": f"prod db password {g.password()}\n",
        "app/secret_sauce/pricing.rb": f'PRICING_TOKEN = "{g.pick(ALNUM, 30)}"\n',
        "tmp/dump.rb": f'LEAKED = "{g.password()}"\n',
    }
    for rel, text in never.items():
        out.never[rel] = text
        out.never_secrets.extend(_secretish_tokens(text))
    out.user_globs = ["app/secret_sauce/"]

    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("notes/\n")
    (root / ".gitignore").write_text("/tmp/\n/log/\n/storage/\n")
    (root / "vendor" / "engines" / "billing").mkdir(parents=True, exist_ok=True)
    (root / "vendor" / "engines" / "billing" / ".gitignore").write_text("notes.txt\n")
    (root / ".hotwire-assist.toml").write_text('[privacy]\nexclude = ["app/secret_sauce/"]\n')
    for rel, text in {**out.files, **out.never}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return out


def _secretish_tokens(text: str) -> list[str]:
    """The generated values in a never-capture file: every run of 10+ token characters after `=`, `:`
    or a space that is not an ordinary word (good enough to prove none of them is ever read)."""
    import re

    return [m for m in re.findall(r"[A-Za-z0-9_+/.-]{12,}", text) if any(c.isdigit() for c in m)]
