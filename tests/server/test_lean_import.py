import subprocess
import sys


def test_the_server_starts_without_torch_or_transformers():
    code = (
        "import sys, hotwire_assist.server.app, hotwire_assist.cli.main;"
        "print(sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
