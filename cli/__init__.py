"""The hotwire-assist command line: the one place that composes rooms."""
