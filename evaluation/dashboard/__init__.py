"""`hotwire-assist dashboard`: a local web page for blind A/B expert review of two evaluation runs and for
insights from suggestion telemetry. Pure pieces (pairing, votes, statistics, insights, charts) sit in their own
modules so the web app in `app.py` only routes and renders."""
