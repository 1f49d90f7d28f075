from hotwire_assist.cli.main import app

app()
