"""The stack's domains. Each module owns one domain's settings sub-model, the table of what the
profile decides for it, its checks and its ``build()``; ``infra/stack.py`` composes them."""
