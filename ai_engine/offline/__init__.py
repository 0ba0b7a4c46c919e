"""The offline default backend: every weight ships inside a pinned Python package."""
