"""The language server: LSP handlers, the completion pipeline and model backends."""
