"""Secrets never reach the store; ordinary Rails/Hotwire code passes through unchanged."""

from __future__ import annotations

import pytest

from hotwire_assist.core.telemetry import REDACTED, redact

# Realistic fakes (the shapes the detectors know), each with the part that must disappear.
SECRETS = [
    ('aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"', "AKIAIOSFODNN7EXAMPLE"),
    ('aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ('client = Octokit::Client.new(access_token: "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")', "wWPw5k4aXcaT4fNP0Ucn"),
    ("GITHUB_TOKEN=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", "wWPw5k4aXcaT4fNP0Ucn"),
    ('Stripe.api_key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"', "4eC39HqLyjWDarjtT1zdp7dc"),
    ('password = "hunter2isnotsafe"', "hunter2isnotsafe"),
    ('url: "postgres://admin:s3cr3tP4ss@db.example.com:5432/app"', "s3cr3tP4ss"),
    ("git clone https://x-access-token:tok3nValue99@github.com/acme/app.git", "tok3nValue99"),
    ('redis_url = "redis://:p4ssw0rdZ@cache.internal:6379/0"', "p4ssw0rdZ"),
    ('slack = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"', "AbCdEfGhIjKlMnOpQrStUvWx"),
]

PRIVATE_KEY = """key = <<~PEM
  -----BEGIN RSA PRIVATE KEY-----
  MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun
  VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK
  -----END RSA PRIVATE KEY-----
PEM
puts key
"""

ORDINARY = """<%= turbo_frame_tag dom_id(@todo) do %>
  <%= form_with model: @user do |f| %>
    <%= f.password_field :password, autocomplete: "current-password" %>
  <% end %>
<% end %>
class SessionsController < ApplicationController
  def create
    user = User.authenticate_by(email: params[:email], password: params[:password])
    token = ENV.fetch("API_TOKEN")
    secret_key_base = Rails.application.credentials.secret_key_base
  end
end
import { Controller } from "@hotwired/stimulus"
export default class extends Controller {
  static targets = ["output"]
  connect() { this.outputTarget.textContent = document.querySelector("meta[name=csrf-token]").content }
}
<div class="flex items-center justify-between px-4 py-2" data-action="click->hello#greet"></div>
"""


@pytest.mark.parametrize(("line", "secret"), SECRETS)
def test_secrets_are_redacted(line, secret):
    out = redact(line)
    assert secret not in out
    assert REDACTED in out


def test_private_key_blocks_are_redacted_whole_and_the_code_around_them_kept():
    out = redact(PRIVATE_KEY)
    assert "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t" not in out and "VTLw7onLRnrq0" not in out
    assert out.startswith("key = <<~PEM\n") and out.endswith("PEM\nputs key\n") and REDACTED in out


def test_a_private_key_cut_off_by_the_prefix_is_redacted_to_the_end():
    out = redact("pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9u")
    assert "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9u" not in out and out.startswith("pem = '")


def test_ordinary_code_is_untouched():
    assert redact(ORDINARY) == ORDINARY
    assert redact("") == ""


def test_secrets_in_a_multiline_snippet_go_and_the_rest_stays():
    text = "\n".join(line for line, _ in SECRETS) + "\n" + ORDINARY
    out = redact(text)
    assert all(secret not in out for _, secret in SECRETS)
    assert out.endswith(ORDINARY)
    assert out.count("\n") == text.count("\n")
